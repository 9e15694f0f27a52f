"""A backend defined outside the package is discovered through the entry-point group."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlops_tui.backends.registry import available_kinds, load_kind
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
