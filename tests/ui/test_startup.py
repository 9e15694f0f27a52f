"""Start-up: what `mlops-tui` does to reach the first full screen quickly, kept correct.

- the backends may start polling before the app exists, and the app shows what they found;
- the garbage collector, paused by `mlops-tui` for start-up, is back on once data is painted;
- the footer shows the current screen's keys but is not rebuilt when they did not change.
"""

from __future__ import annotations

import gc
import re
from collections import Counter

import pytest

import mlops_tui.ui.app as app_module
from mlops_tui.cli import main
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from mlops_tui.ui.textual_internals import FooterKey
from mlops_tui.ui.widgets.key_footer import KeyFooter
from tests.conftest import wait_until
from tests.helpers import demo_app, screen_text, wait_for_text


async def test_backends_started_before_the_app_fill_the_first_screen(tmp_path):
    runtime = build_runtime(None, demo=True, audit_path=tmp_path / "audit.jsonl")
    runtime.start()  # as `mlops-tui` does, before Textual is even imported
    try:
        first = runtime.hub.wait_for_first_poll(timeout=15)
        app = MlopsApp(runtime)
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            assert app.snapshot.generation >= first.generation
            text = screen_text(app)
            assert f"Latest runs (of {len(first.runs):,})" in text
            assert "Pending promotions (" in text
    finally:
        runtime.stop()


@pytest.mark.parametrize("backends_first", [False, True], ids=["hub-with-app", "hub-before-app"])
async def test_the_collector_paused_for_start_up_resumes_once_data_is_on_screen(tmp_path, monkeypatch, backends_first):
    # the fallback timer is pushed out of reach, so only the painted data can turn it back on
    monkeypatch.setattr(app_module, "GC_PAUSE_LIMIT", 3600.0)
    runtime = build_runtime(None, demo=True, audit_path=tmp_path / "audit.jsonl")
    gc.disable()  # what `mlops-tui` does before its first import
    try:
        if backends_first:
            runtime.start()
            runtime.hub.wait_for_first_poll(timeout=15)
        app = MlopsApp(runtime)
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_until(lambda: app.snapshot.generation > 0, timeout=15, pilot=pilot)
            await wait_until(gc.isenabled, timeout=30, pilot=pilot)  # once the first data is painted
    finally:
        gc.enable()
        gc.unfreeze()
        runtime.stop()


def test_headless_commands_run_with_the_collector_on(capsys):
    assert main(["backends"]) == 0
    assert gc.isenabled()
    assert main(["--no-such-flag"]) == 2
    assert gc.isenabled()


async def test_footer_keeps_its_keys_while_focus_moves_and_changes_them_with_the_view(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_text(app, pilot, "Next panel")
        footer = app.screen.query_one(KeyFooter)
        keys_before = list(footer.query(FooterKey))
        await pilot.press("tab")  # the next Overview panel: the same keys
        await pilot.press("tab")
        await pilot.pause()
        await wait_until(lambda: not footer._check_pending, pilot=pilot)  # its check after the focus moves ran
        assert list(footer.query(FooterKey)) == keys_before  # the very same widgets: no rebuild

        await pilot.press("2")  # the Runs view has keys of its own
        text = await wait_for_text(app, pilot, "Query")
        assert "Next panel" not in text.splitlines()[-1]
        await pilot.press("1")
        await wait_for_text(app, pilot, "Next panel")


# Colours chosen for this test, unlike any shipped theme's, so the test does not restate a theme file.
# (Textual passes each shade through Lab space, which moves some colours by one step, e.g.
# #3a2010 to #392010; these come through unchanged.)
TEST_THEMES = {
    "test-dark": dict(dark=True, surface="#10203a", panel="#302820", background="#050505"),
    "test-light": dict(dark=False, surface="#f0e8d8", panel="#c8d8e8", background="#fafafa"),
}


@pytest.mark.parametrize("theme", sorted(TEST_THEMES))
async def test_the_configured_theme_is_what_the_first_frame_is_painted_in(tmp_path, monkeypatch, theme):
    spec = TEST_THEMES[theme]
    monkeypatch.setenv("MLOPS_TUI_CONFIG", str(tmp_path / "conf" / "config.toml"))
    (tmp_path / "conf" / "themes").mkdir(parents=True)
    (tmp_path / "conf" / "themes" / f"{theme}.toml").write_text(
        f'name = "{theme}"\ndark = {str(spec["dark"]).lower()}\nprimary = "#5f87d7"\n'
        f'surface = "{spec["surface"]}"\npanel = "{spec["panel"]}"\nbackground = "{spec["background"]}"\n'
    )
    runtime = build_runtime(None, demo=True, audit_path=tmp_path / "audit.jsonl")
    runtime.theme = theme
    app = MlopsApp(runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == theme
        dark = spec["dark"]
        assert app.has_class("-dark-mode") is dark and app.has_class("-light-mode") is not dark
        # the lists are painted in the theme's surface colour, the bars in its panel colour
        fills = Counter(re.findall(r'fill="(#[0-9a-f]{6})"', app.export_screenshot().lower()))
        assert [colour for colour, _ in fills.most_common(2)] == [spec["surface"], spec["panel"]]
