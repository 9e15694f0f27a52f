"""Copy says where the text went: OSC 52 only for terminals known to take it, else a clipboard
tool, else a file under the state dir."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mlops_tui.services.clipboard import copy_text, osc52_known


def test_osc52_only_for_terminals_known_to_take_it():
    assert osc52_known({"TERM": "xterm-kitty"})
    assert osc52_known({"TERM_PROGRAM": "WezTerm", "TERM": "xterm-256color"})
    assert not osc52_known({"TERM": "xterm-256color"})  # GNOME Terminal, macOS Terminal, ...
    assert not osc52_known({"TERM": "xterm-kitty", "TMUX": "/tmp/tmux-0/default,1,0"})
    assert osc52_known({"TERM": "screen", "MLOPS_TUI_OSC52": "1"})
    assert not osc52_known({"TERM": "xterm-kitty", "MLOPS_TUI_OSC52": "0"})


def test_a_known_terminal_is_used_and_nothing_else(tmp_path):
    copied = copy_text("x", env={"TERM": "xterm-kitty", "PATH": str(tmp_path)})
    assert copied.method == "osc52" and copied.on_clipboard
    assert "OSC 52" in copied.describe()


def fake_tool(folder: Path, name: str, sink: Path) -> None:
    script = folder / name
    script.write_text(f"#!/bin/sh\n/bin/cat > {sink}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_a_clipboard_tool_where_one_can_reach_a_clipboard(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_tool(bin_dir, "xclip", tmp_path / "xclip-got")
    env = {"TERM": "xterm-256color", "PATH": str(bin_dir), "DISPLAY": ":0"}
    copied = copy_text("### CRITICAL: ModelDown", env=env)
    assert copied.method == "xclip" and "with xclip" in copied.describe()
    assert (tmp_path / "xclip-got").read_text() == "### CRITICAL: ModelDown"
    # without a display, xclip cannot reach a clipboard: not tried
    del env["DISPLAY"]
    assert copy_text("y", env=env).method == "file"


def test_no_clipboard_at_all_saves_a_file_and_says_where(tmp_path):
    copied = copy_text("the text", env={"TERM": "dumb", "PATH": str(tmp_path)})
    assert copied.method == "file" and not copied.on_clipboard
    assert copied.path is not None and copied.path.read_text() == "the text"
    assert str(copied.path) in copied.describe()
    # under the (isolated) state dir, never the working directory
    assert copied.path.is_relative_to(os.environ["XDG_STATE_HOME"])
