"""Copying text for the user: the terminal's clipboard when it is known to take OSC 52, else a
system clipboard tool, else a file under the state dir. Says which one was used."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from mlops_tui.core.paths import APP_NAME

# Terminals that put an OSC 52 sequence on the system clipboard by default. Others (tmux
# without set-clipboard, GNOME Terminal, macOS Terminal) drop it silently: not "copied".
_OSC52_TERM_PROGRAMS = {"iTerm.app", "WezTerm", "ghostty", "WarpTerminal"}
_OSC52_TERMS = ("kitty", "alacritty", "foot", "wezterm", "ghostty", "contour")
OSC52_ENV = "MLOPS_TUI_OSC52"  # "1": this terminal takes OSC 52; "0": it does not

# (tool, arguments, what it needs in the environment to reach a clipboard)
_TOOLS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("wl-copy", (), "WAYLAND_DISPLAY"),
    ("xclip", ("-selection", "clipboard"), "DISPLAY"),
    ("xsel", ("--clipboard", "--input"), "DISPLAY"),
    ("pbcopy", (), ""),
)


@dataclass(frozen=True)
class Copied:
    """Where the text went: `method` is "osc52", a tool's name, or "file" (then `path`)."""

    method: str
    path: Path | None = None

    @property
    def on_clipboard(self) -> bool:
        return self.method != "file"

    def describe(self) -> str:
        if self.method == "osc52":
            return "to the terminal's clipboard (OSC 52)"
        if self.method == "file":
            return f"to {self.path} (no clipboard reachable)"
        return f"to the clipboard with {self.method}"


def osc52_known(env: Mapping[str, str] | None = None) -> bool:
    """Whether the terminal is known to accept OSC 52 (in tmux or screen: unknown, so no)."""
    env = os.environ if env is None else env
    override = env.get(OSC52_ENV, "").strip()
    if override in ("0", "1"):
        return override == "1"
    if env.get("TMUX") or env.get("STY"):
        return False  # the multiplexer decides, by its own settings
    if env.get("TERM_PROGRAM", "") in _OSC52_TERM_PROGRAMS or env.get("WT_SESSION"):
        return True
    term = env.get("TERM", "").lower()
    return any(name in term for name in _OSC52_TERMS)


def state_dir() -> Path:
    return platformdirs.user_state_path(APP_NAME, appauthor=False)


def copy_text(
    text: str, *, env: Mapping[str, str] | None = None, osc52: bool | None = None, timeout: float = 3.0
) -> Copied:
    """Put `text` where the user can paste it; the caller writes the OSC 52 sequence itself.

    Blocks up to `timeout` for a clipboard tool: call it off the UI thread.
    """
    env = os.environ if env is None else env
    if osc52 if osc52 is not None else osc52_known(env):
        return Copied("osc52")
    for tool, args, needs in _TOOLS:
        if needs and not env.get(needs):
            continue
        exe = shutil.which(tool, path=env.get("PATH"))
        if exe is None:
            continue
        try:
            done = subprocess.run(
                [exe, *args],
                input=text.encode("utf-8"),
                timeout=timeout,
                env=dict(env),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return Copied(tool)
    path = state_dir() / "clipboard.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return Copied("file", path)
