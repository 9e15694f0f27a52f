"""Contexts: switch with --context, :ctx NAME or the palette; read_only per context."""

from __future__ import annotations

import textwrap

from mlops_tui.config.loader import load_settings
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from tests.conftest import wait_until
from tests.helpers import screen_text, wait_for_data, wait_for_text

CONFIG = textwrap.dedent("""
    default_context = "prod"

    [contexts.prod]
    read_only = true
    [[contexts.prod.backends]]
    name = "estate-prod"
    kind = "demo"
    seed = 1

    [contexts.staging]
    [[contexts.staging.backends]]
    name = "estate-staging"
    kind = "demo"
    seed = 2
""")


def make_app(tmp_path, context=None, read_only=False):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    runtime = build_runtime(
        load_settings(path), context=context, read_only=read_only, config_path=path, audit_path=tmp_path / "audit.jsonl"
    )
    return MlopsApp(runtime)


def status_line(app) -> str:
    return next(line for line in screen_text(app).splitlines() if line.strip().startswith("ctx "))


async def test_default_context_is_read_only_and_named_in_the_status_bar(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_data(app, pilot)
        line = status_line(app)
        assert "ctx prod" in line and "READ-ONLY" in line and "estate-prod ok" in line


async def test_colon_ctx_switches_backends_and_read_only(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("colon", *"ctx staging", "enter")
        await wait_until(lambda: app.runtime.context == "staging" and app.snapshot.generation > 0, pilot=pilot)
        await wait_for_data(app, pilot)
        line = status_line(app)
        assert "ctx staging" in line and "estate-staging" in line
        assert "READ-ONLY" not in line and "estate-prod" not in line
        assert all(r.backend == "estate-staging" for r in app.snapshot.runs)


async def test_an_unknown_context_is_a_message_not_a_crash(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await wait_for_data(app, pilot)
        await pilot.press("colon", *"ctx nowhere", "enter")
        await wait_for_text(app, pilot, "nowhere")  # the refusal says which context it did not know
        assert app.runtime.context == "prod"


async def test_read_only_flag_holds_in_every_context(tmp_path):
    app = make_app(tmp_path, context="staging", read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_data(app, pilot)
        assert "READ-ONLY" in status_line(app)
        await pilot.press("colon", *"ctx prod", "enter")
        await wait_until(lambda: app.runtime.context == "prod", pilot=pilot)
        assert app.runtime.actions.read_only
