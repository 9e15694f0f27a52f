"""The `mlops-tui` command line, run in-process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import types
from importlib.metadata import EntryPoint
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from mlops_tui.backends import registry
from mlops_tui.backends.base import Backend, BackendOptions, Capability
from mlops_tui.backends.registry import BackendKind, BackendLoadError
from mlops_tui.cli import main
from mlops_tui.commands import keyring_secrets
from mlops_tui.config import ConfigError, load_settings
from mlops_tui.core.secrets import SERVICE
from mlops_tui.services.audit import AuditLog


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    for var, sub in (("XDG_CONFIG_HOME", "cfg"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache")):
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.delenv("MLOPS_TUI_CONFIG", raising=False)
    monkeypatch.delenv("MLOPS_TUI_USER", raising=False)


def default_config(tmp_path: Path) -> Path:
    return tmp_path / "cfg" / "mlops-tui" / "config.toml"


def audit_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "mlops-tui" / "audit.jsonl"


# -- usage -------------------------------------------------------------------------------------
def test_help_exits_zero(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("backends", "init", "auth", "audit"):
        assert command in out


@pytest.mark.parametrize("argv", [["--demo-runs", "0"], ["--demo-runs", "many"], ["frobnicate"], ["auth"]])
def test_usage_errors_exit_two(capsys, argv):
    assert main(argv) == 2
    assert "usage:" in capsys.readouterr().err


# -- backends ----------------------------------------------------------------------------------
class StubOptions(BackendOptions):
    url: str
    verify_tls: bool = True


class StubBackend(Backend[StubOptions]):
    kind = "stub"
    description = "a stand-in tracking server"
    capabilities = frozenset({Capability.REGISTRY, Capability.RUNS})

    async def list_experiments(self):
        return []

    async def list_runs(self, query):
        return []

    async def list_models(self):
        return []

    async def list_versions(self):
        return []

    async def alias_holder(self, model, alias):
        return None


class StubKind(BackendKind):
    def load(self):
        return StubBackend


def test_backends_lists_the_installed_demo_kind(capsys):
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    demo_line = next(line for line in out.splitlines() if line.startswith("demo "))
    assert "from mlops-tui" in demo_line  # its distribution


def test_backends_json_lists_demo(capsys):
    assert main(["backends", "--json"]) == 0
    kinds = json.loads(capsys.readouterr().out)
    demo = next(k for k in kinds if k["kind"] == "demo")
    assert demo["distribution"] == "mlops-tui"
    assert demo["entry_point"] == "mlops_tui.backends.demo.backend:DemoBackend"
    assert "options" in demo or "error" in demo


def fake_kinds(monkeypatch):
    group = registry.GROUP
    kinds = {
        "broken": BackendKind("broken", EntryPoint("broken", "no_such_module_xyz:Thing", group)),
        "stub": StubKind("stub", EntryPoint("stub", "somewhere:StubBackend", group)),
    }
    monkeypatch.setattr(registry, "available_kinds", lambda: kinds)


def test_backends_shows_options_and_survives_a_broken_kind(capsys, monkeypatch):
    fake_kinds(monkeypatch)
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    broken, stub = out.split("\n\n")
    assert broken.startswith("broken")
    assert "error:" in broken and "no_such_module_xyz" in broken
    assert "a stand-in tracking server" in stub
    assert "capabilities: registry, runs" in stub
    assert [line.split() for line in stub.splitlines() if line.startswith("    ")] == [
        ["timeout_seconds", "float", "default", "10.0"],
        ["max_response_mb", "float", "default", "16.0"],
        ["url", "str", "required"],
        ["verify_tls", "bool", "default", "true"],
    ]


def test_backends_json_shows_options_and_errors(capsys, monkeypatch):
    fake_kinds(monkeypatch)
    assert main(["backends", "--json"]) == 0
    kinds = {k["kind"]: k for k in json.loads(capsys.readouterr().out)}
    assert "no_such_module_xyz" in kinds["broken"]["error"]
    stub = kinds["stub"]
    assert stub["capabilities"] == ["registry", "runs"]
    options = {o["name"]: o for o in stub["options"]}
    assert options["url"] == {"name": "url", "type": "str", "required": True, "default": None}
    assert options["timeout_seconds"]["default"] == 10.0
    assert options["verify_tls"]["type"] == "bool"


# -- init --------------------------------------------------------------------------------------
def usable_demo_kind(monkeypatch):
    """The starter config uses kind "demo"; stand in for it until the real one imports."""
    try:
        registry.load_kind("demo")
    except BackendLoadError:

        class Demo(Backend):
            kind = "demo"

        monkeypatch.setattr(registry, "load_kind", lambda name: Demo)


def test_init_writes_a_starter_that_loads_and_refuses_to_overwrite(tmp_path, capsys, monkeypatch):
    assert main(["init"]) == 0
    path = default_config(tmp_path)
    assert str(path) in capsys.readouterr().out
    text = path.read_text()
    assert "keyring:prod-mlflow" in text
    assert '# kind = "alertmanager"' in text

    usable_demo_kind(monkeypatch)
    settings = load_settings(path)
    name, ctx = settings.context(None)
    assert name == "demo"
    assert [b.kind for b in ctx.backends] == ["demo"]

    path.write_text("# my edits\n")
    assert main(["init"]) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and str(path) in err
    assert path.read_text() == "# my edits\n"


def test_init_honours_config_flag(tmp_path, capsys):
    target = tmp_path / "elsewhere" / "mine.toml"
    assert main(["init", "--config", str(target)]) == 0
    assert target.exists()
    assert not default_config(tmp_path).exists()
    assert main(["--config", str(target), "init"]) == 1


# -- audit -------------------------------------------------------------------------------------
def test_audit_with_no_log(capsys):
    assert main(["audit"]) == 0
    assert capsys.readouterr().out.strip() == "no audit entries"


def test_audit_with_empty_log(tmp_path, capsys):
    path = audit_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("")
    assert main(["audit"]) == 0
    assert "no audit entries" in capsys.readouterr().out


ENTRIES = [
    {
        "time": "2024-05-01T12:00:00+00:00",
        "user": "alice",
        "context": "prod",
        "action": "promote",
        "target": "churn v7 -> production",
        "backend": "mlflow",
        "outcome": "requested",
        "detail": {"reason": "better auc"},
    },
    {
        "time": "2024-05-01T12:05:00+00:00",
        "user": "bob",
        "context": "prod",
        "action": "approve",
        "target": "churn v7 -> production",
        "backend": "mlflow",
        "outcome": "refused",
        "detail": {},
    },
]


def write_audit(tmp_path: Path, extra: str = "") -> None:
    path = audit_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps(e) + "\n" for e in ENTRIES) + extra)


def test_audit_prints_one_line_per_entry(tmp_path, capsys):
    write_audit(tmp_path, extra='{"time": "2024-05-01T12:06')  # torn last line after a crash
    assert main(["audit"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 2
    first, second = lines
    for word in (
        "2024-05-01T12:00:00+00:00",
        "alice",
        "promote",
        "churn v7 -> production",
        "requested",
        "reason=better auc",
    ):
        assert word in first
    assert "bob" in second and "approve" in second and "refused" in second
    assert "not valid JSON" in captured.err


def test_audit_json(tmp_path, capsys):
    write_audit(tmp_path)
    assert main(["audit", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == ENTRIES


def test_audit_skips_lines_that_are_not_entries_and_says_which(tmp_path, capsys):
    write_audit(tmp_path, extra='["a", "list"]\n42\n')
    assert main(["audit", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == ENTRIES
    path = audit_file(tmp_path)
    assert captured.err.splitlines() == [
        f"mlops-tui: {path}:3: skipped a line that is not a JSON object",
        f"mlops-tui: {path}:4: skipped a line that is not a JSON object",
    ]


def test_audit_shows_control_characters_visibly(tmp_path, capsys):
    entry = {**ENTRIES[0], "target": "churn\x1b[2J v7"}
    path = audit_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(entry) + "\n")
    assert main(["audit"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "churn\\x1b[2J v7" in out


def test_audit_reads_what_the_actions_service_wrote(tmp_path, capsys):
    log = AuditLog(audit_file(tmp_path))
    log.append(user="carol", action="ack", target="HighLatency", outcome="ok", detail={"minutes": 15})
    assert main(["audit"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert "carol" in line and "ack" in line and "HighLatency" in line and "-> ok" in line
    assert "minutes=15" in line


def test_an_unreadable_audit_log_is_a_failure_not_a_crash(tmp_path, capsys):
    audit_file(tmp_path).mkdir(parents=True)  # a directory where the file should be
    assert main(["audit"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mlops-tui: cannot read the audit log") and "Traceback" not in err


# -- auth --------------------------------------------------------------------------------------
class TtyStdin(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auth_set_list_delete(memory_keyring, capsys, monkeypatch):
    prompts = []

    def fake_getpass(prompt=""):
        prompts.append(prompt)
        return "tok-from-prompt"

    monkeypatch.setattr(sys, "stdin", TtyStdin())
    monkeypatch.setattr(keyring_secrets.getpass, "getpass", fake_getpass)
    assert main(["auth", "set", "prod-mlflow"]) == 0
    assert prompts and "prod-mlflow" in prompts[0]
    assert memory_keyring.store[(SERVICE, "prod-mlflow")] == "tok-from-prompt"
    out = capsys.readouterr()
    assert "keyring:prod-mlflow" in out.out
    assert "tok-from-prompt" not in out.out + out.err

    monkeypatch.setattr(sys, "stdin", io.StringIO("piped-secret\n"))
    assert main(["auth", "set", "staging-am"]) == 0
    assert memory_keyring.store[(SERVICE, "staging-am")] == "piped-secret"
    capsys.readouterr()

    assert main(["auth", "list"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == ["prod-mlflow", "staging-am"]

    assert main(["auth", "delete", "prod-mlflow"]) == 0
    capsys.readouterr()
    assert (SERVICE, "prod-mlflow") not in memory_keyring.store
    assert main(["auth", "list"]) == 0
    assert capsys.readouterr().out.splitlines() == ["staging-am"]

    assert main(["auth", "delete", "prod-mlflow"]) == 1
    assert "no secret named 'prod-mlflow'" in capsys.readouterr().err


def test_auth_set_with_nothing_entered_stores_nothing(memory_keyring, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["auth", "set", "x"]) == 1
    assert "nothing stored" in capsys.readouterr().err
    assert memory_keyring.store == {}


def test_auth_set_rejects_a_bad_name(memory_keyring, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("value"))
    assert main(["auth", "set", "bad name"]) == 1
    assert memory_keyring.store == {}


def test_auth_without_a_keyring_explains_the_ways_out(capsys, monkeypatch):
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        monkeypatch.setattr(sys, "stdin", io.StringIO("value\n"))
        assert main(["auth", "set", "x"]) == 1
        err = capsys.readouterr().err
        assert "keyrings.alt" in err and "env:" in err
        assert "Traceback" not in err
        assert main(["auth", "list"]) == 1
    finally:
        keyring.set_keyring(previous)


# -- config errors and the app -----------------------------------------------------------------
def test_broken_config_exits_two_with_the_file_name(tmp_path, capsys):
    bad = tmp_path / "broken.toml"
    bad.write_text('theme = "oncall-dark"\nrefresh_seconds = \n')
    assert main(["--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err
    assert "line 2" in err
    assert "Traceback" not in err


def test_broken_default_config_exits_two(tmp_path, capsys):
    path = default_config(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text('thme = "x"\n')
    assert main([]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "Did you mean 'theme'?" in err


def test_missing_explicit_config_exits_two(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_CONFIG", str(tmp_path / "nope.toml"))
    assert main([]) == 2
    assert "nope.toml" in capsys.readouterr().err


def test_a_reader_that_leaves_early_is_not_an_internal_error(tmp_path):
    # `mlops-tui backends | head -0`, made deterministic: the pipe is closed before we write.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mlops_tui", "backends"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path)},
        )
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert done.stderr == ""


@pytest.fixture
def fake_app(monkeypatch):
    """Stand-ins for the runtime and the UI, recording how the CLI called them."""
    calls: dict = {}
    runtime_mod = types.ModuleType("mlops_tui.services.runtime")
    app_mod = types.ModuleType("mlops_tui.ui.app")

    class Runtime:
        def start(self):
            calls["started"] = "ran" not in calls  # before the app: the backends load while Textual does

    the_runtime = Runtime()

    def build_runtime(settings, **kwargs):
        calls["settings"] = settings
        calls.update(kwargs)
        if calls.get("raise") is not None:
            raise calls["raise"]
        return the_runtime

    class MlopsApp:
        def __init__(self, runtime, initial_view="overview"):
            calls["runtime"] = runtime
            calls["initial_view"] = initial_view

        def run(self):
            calls["ran"] = True

    def open_runtime(config=None, **kwargs):  # as the real one: find the settings, then build
        from mlops_tui.config.loader import find_settings

        settings, path = find_settings(config)
        kwargs["demo"] = kwargs.get("demo") or settings is None
        return build_runtime(settings, config_path=path if settings is not None else None, **kwargs)

    runtime_mod.build_runtime = build_runtime
    runtime_mod.open_runtime = open_runtime
    app_mod.MlopsApp = MlopsApp
    monkeypatch.setitem(sys.modules, "mlops_tui.services.runtime", runtime_mod)
    monkeypatch.setitem(sys.modules, "mlops_tui.ui.app", app_mod)
    calls["the_runtime"] = the_runtime
    return calls


def test_no_config_opens_the_demo_world(fake_app):
    assert main([]) == 0
    assert fake_app["settings"] is None
    assert fake_app["demo"] is True
    assert fake_app["config_path"] is None
    assert fake_app["demo_runs"] is None
    assert fake_app["runtime"] is fake_app["the_runtime"] and fake_app["ran"]
    assert fake_app["started"]
    assert fake_app["initial_view"] == "overview"


def test_view_flag_opens_that_view_first(fake_app):
    assert main(["--view", "alerts"]) == 0
    assert fake_app["initial_view"] == "alerts"


def test_flags_reach_the_runtime(tmp_path, fake_app):
    path = tmp_path / "c.toml"
    path.write_text('user = "alice"\n[contexts.prod]\n[contexts.staging]\n')
    assert main(["--config", str(path), "--context", "staging", "--demo-runs", "7", "--read-only"]) == 0
    assert fake_app["settings"].user == "alice"
    assert fake_app["context"] == "staging"
    assert fake_app["demo"] is False
    assert fake_app["demo_runs"] == 7
    assert fake_app["read_only"] is True
    assert fake_app["config_path"] == path


def test_demo_flag_forces_the_demo_world_with_a_config(tmp_path, fake_app):
    path = tmp_path / "c.toml"
    path.write_text("[contexts.prod]\n")
    assert main(["--config", str(path), "--demo"]) == 0
    assert fake_app["demo"] is True


def test_config_error_from_the_runtime_exits_two(fake_app, capsys):
    fake_app["raise"] = ConfigError("there is no context named 'prd'", where="context", fix="Known contexts: prod.")
    assert main(["--context", "prd"]) == 2
    err = capsys.readouterr().err
    assert "no context named 'prd'" in err and "Known contexts: prod." in err


def test_unexpected_error_is_one_line_without_traceback(fake_app, capsys):
    fake_app["raise"] = RuntimeError("kaboom\nsecond line")
    assert main([]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == "mlops-tui: internal error: RuntimeError: kaboom second line"
    assert "Traceback" not in err


def test_debug_shows_the_traceback(fake_app, capsys):
    fake_app["raise"] = RuntimeError("kaboom")
    assert main(["--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err
