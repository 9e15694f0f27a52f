"""A backend defined outside the package is discovered through the entry-point group."""

from __future__ import annotations

import asyncio
import importlib
import json
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mlops_tui.backends.base import Backend, BackendOptions, Capability
from mlops_tui.backends.registry import available_kinds, load_kind
from mlops_tui.config.errors import ConfigError
from mlops_tui.domain import Alert, DriftScore
from mlops_tui.cli import main
from mlops_tui.config.loader import load_settings
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from tests.helpers import screen_text, wait_for_data

PLUGIN = '''
"""A third-party backend: one deployment from "Acme Serving"."""
from mlops_tui.backends.base import Backend, BackendOptions, Capability
from mlops_tui.domain import Deployment, DeploymentHealth


class AcmeOptions(BackendOptions):
    region: str = "eu-west"
    replicas: int = 3


class AcmeBackend(Backend):
    kind = "acme"
    description = "Deployments from Acme Serving"
    capabilities = frozenset({Capability.DEPLOYMENTS})
    Options = AcmeOptions

    async def list_deployments(self):
        return [Deployment(name="acme-" + self.options.region, model="fraud-xgb", version="3",
                           health=DeploymentHealth.DEGRADED, replicas=self.options.replicas,
                           ready_replicas=1, backend=self.name)]
'''


@pytest.fixture
def acme_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Install a plugin distribution the way pip would: a module and a .dist-info folder."""
    site = tmp_path / "site"
    (site / "acme_backend.py").parent.mkdir(parents=True)
    (site / "acme_backend.py").write_text(PLUGIN)
    info = site / "acme_backend-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-backend\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[mlops_tui.backends]\nacme = acme_backend:AcmeBackend\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    return site


def test_the_plugin_kind_is_listed_without_being_imported(acme_plugin):
    kinds = available_kinds()
    assert {"acme", "demo"} <= set(kinds)
    assert kinds["acme"].distribution == "acme-backend"
    assert "acme_backend" not in sys.modules
    assert load_kind("acme").description == "Deployments from Acme Serving"


def test_mlops_tui_backends_lists_the_plugin_with_its_options(acme_plugin, capsys):
    assert main(["backends", "--json"]) == 0
    listed = {k["kind"]: k for k in json.loads(capsys.readouterr().out)}
    assert "demo" in listed and "acme" in listed
    options = {o["name"]: o for o in listed["acme"]["options"]}
    assert options["region"]["default"] == "eu-west"
    assert options["replicas"]["default"] == 3


def test_mlops_tui_backends_in_a_real_process_sees_the_plugin(acme_plugin):
    env = {"PYTHONPATH": str(acme_plugin), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "mlops_tui", "backends"], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "acme" in out.stdout and "Deployments from Acme Serving" in out.stdout


async def test_the_plugin_backend_shows_up_in_the_app(acme_plugin, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        textwrap.dedent("""
        [[backends]]
        name = "acme-eu"
        kind = "acme"
        region = "eu-central"
    """)
    )
    runtime = build_runtime(load_settings(config), config_path=config, audit_path=tmp_path / "audit.jsonl")
    app = MlopsApp(runtime)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("4")
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "acme-eu-central" in text  # its deployment, with its own option applied
        assert "acme-eu ok" in text  # the status bar names it
        assert "DEMO" not in text.splitlines()[0]


def test_a_broken_plugin_is_a_readable_error_not_a_crash(tmp_path, monkeypatch, capsys):
    site = tmp_path / "broken"
    info = site / "broken_backend-1.0.dist-info"
    info.mkdir(parents=True)
    (site / "broken_backend.py").write_text("raise ImportError('needs libfoo')\n")
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-backend\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[mlops_tui.backends]\nbroken = broken_backend:Backend\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    assert "broken" in out and "needs libfoo" in out


# -- the README's own example is a working plugin -----------------------------------------------
README = Path(__file__).resolve().parents[1] / "README.md"


def readme_plugin_source() -> str:
    """The first Python block of the README's "Writing a backend plugin" section, as written."""
    section = README.read_text(encoding="utf-8").split("## Writing a backend plugin", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.fixture
def readme_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "readme-site"
    site.mkdir()
    (site / "my_plugin.py").write_text(readme_plugin_source())
    info = site / "my_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: my-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[mlops_tui.backends]\npager = my_plugin:PagerBackend\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    yield site
    sys.modules.pop("my_plugin", None)


def test_the_readme_plugin_gets_its_first_ack(readme_plugin, tmp_path):
    """Written only from the README: its alerts carry its name, so an ack reaches it."""
    config = tmp_path / "config.toml"
    config.write_text('[[backends]]\nname = "pager-eu"\nkind = "pager"\nteam = "fraud"\n')
    runtime = build_runtime(load_settings(config), config_path=config, audit_path=tmp_path / "audit.jsonl")
    runtime.start()
    try:
        snapshot = runtime.hub.wait_for_first_poll(20)
        assert snapshot.statuses[0].state.value == "ok", snapshot.statuses[0].message
        (alert,) = snapshot.alerts
        assert alert.backend == "pager-eu" and alert.labels["team"] == "fraud"

        ids = asyncio.run(runtime.actions.ack([alert]))

        plugin = runtime.hub.backend("pager-eu")
        assert ids == ["s1"] and list(plugin.silences) == ["s1"]
        assert plugin.silences["s1"].is_ack
        assert plugin.silences["s1"].matchers  # the ack names the alert it silences
    finally:
        runtime.stop()


def test_a_mistyped_readme_plugin_option_is_a_config_error_with_the_closest_key(readme_plugin, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[[backends]]\nname = "pager-eu"\nkind = "pager"\ntaem = "fraud"\n')
    with pytest.raises(ConfigError) as info:
        build_runtime(load_settings(config), config_path=config, audit_path=tmp_path / "audit.jsonl")
    err = info.value
    assert err.path == config and err.where == "backends[0].taem" and err.line == 4
    assert "unknown option for backend kind 'pager': 'taem'" in err.problem
    assert "Did you mean 'team'?" in err.fix


# -- capabilities are checked when the class is made ---------------------------------------------
def test_a_capability_without_its_methods_fails_when_the_class_is_defined():
    with pytest.raises(TypeError) as info:

        class HalfSilences(Backend):
            kind = "half"
            capabilities = frozenset({Capability.ALERTS, Capability.SILENCES})

            async def list_alerts(self):
                return []

            async def list_silences(self):
                return []

    message = str(info.value)
    assert "HalfSilences" in message
    assert "create_silence" in message and "expire_silence" in message
    assert "list_alerts" not in message and "list_silences" not in message


def test_a_broken_readme_plugin_is_refused_at_import_not_at_the_first_key(tmp_path, monkeypatch):
    source = readme_plugin_source().replace("async def expire_silence", "async def expire_silence_typo")
    site = tmp_path / "typo-site"
    site.mkdir()
    (site / "typo_plugin.py").write_text(source)
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(TypeError, match=r"PagerBackend .* does not implement expire_silence"):
        importlib.import_module("typo_plugin")
    sys.modules.pop("typo_plugin", None)


def test_options_are_typed_and_checked_once_by_the_base():
    class Opts(BackendOptions):
        depth: int = 1

    class Typed(Backend[Opts]):
        kind = "typed"

    assert Typed.Options is Opts

    class Other(BackendOptions):
        width: int = 2

    class Child(Typed):  # inherits the options...
        pass

    class Reshaped(Child):  # ...unless it names others
        Options = Other

    class GrandChild(Reshaped):
        pass

    assert Child.Options is Opts and GrandChild.Options is Other
    assert Typed("t", {"depth": "3"}).options == Opts(depth=3)
    assert Typed("t").options == Opts()
    with pytest.raises(TypeError):
        Typed("t", BackendOptions())  # another kind's options are not coerced silently


async def test_everything_a_poll_returns_carries_the_backend_name():
    class Nameless(Backend):
        kind = "nameless"
        capabilities = frozenset({Capability.ALERTS, Capability.DRIFT})

        async def list_alerts(self):
            return [Alert(fingerprint="a", labels={}, starts_at=datetime.now(timezone.utc))]

        async def list_drift(self):
            return [
                DriftScore(
                    model="m",
                    feature="f",
                    time=datetime.now(timezone.utc),
                    score=0.1,
                    threshold=0.2,
                    backend="nameless-elsewhere",
                )
            ]

    data = await Nameless("eu").fetch()
    assert [a.backend for a in data.alerts] == ["eu"]
    assert [d.backend for d in data.drift] == ["eu"]


def test_a_backend_cannot_skip_the_stamping_by_overriding_fetch():
    with pytest.raises(TypeError, match=r"overrides fetch\(\); override collect\(query\) instead"):

        class Sneaky(Backend):
            kind = "sneaky"

            async def fetch(self, query=None, progress=None):
                return None


async def test_a_tuple_returned_again_is_stamped_again_without_a_second_walk():
    started = datetime.now(timezone.utc)
    same = (Alert(fingerprint="a", labels={}, starts_at=started),)

    class Repeats(Backend):
        kind = "repeats"
        capabilities = frozenset({Capability.ALERTS})

        async def list_alerts(self):
            return same

    backend = Repeats("eu")
    first, second = await backend.fetch(), await backend.fetch()
    assert first.alerts[0].backend == second.alerts[0].backend == "eu"
    assert same[0].backend == ""  # the backend's own objects are not changed in place
