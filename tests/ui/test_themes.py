"""Themes: the shipped files, the app's own colours, broken files, `:theme` and the remembered choice."""

from __future__ import annotations

import colorsys
from pathlib import Path

from textual.color import Color

from mlops_tui.core.paths import theme_choice_path
from mlops_tui.domain import DeploymentHealth, Severity
from mlops_tui.ui import themes
from mlops_tui.ui.columns import HEALTH_STYLE, SEVERITY_STYLE
from tests.ui.support import SIZE, demo_app, type_text, wait_for_data

ROOT = Path(__file__).resolve().parents[2]
APP_VARIABLES = [
    "severity-critical",
    "severity-warning",
    "severity-info",
    "health-ok",
    "health-degraded",
    "health-down",
    "health-unknown",
]


def shipped() -> dict[str, themes.ThemeFile]:
    import tomllib

    return {
        p.stem: themes.ThemeFile.model_validate(tomllib.loads(p.read_text())) for p in (ROOT / "themes").glob("*.toml")
    }


def user_themes_dir(isolated_dirs: Path) -> Path:
    folder = isolated_dirs / "config" / "mlops-tui" / "themes"
    folder.mkdir(parents=True)
    return folder


def test_four_themes_ship_each_with_every_severity_and_health_colour():
    files = shipped()
    assert {"oncall-dark", "oncall-light", "oncall-high-contrast", "oncall-colour-blind"} <= set(files)
    for name, spec in files.items():
        variables = spec.to_theme().variables
        missing = [v for v in APP_VARIABLES if v not in variables]
        assert missing == [], f"{name} leaves out {missing}"
    loaded, problems = themes.load_themes()
    assert problems == []
    assert {t.name for t in loaded} == set(files)


def _hue(colour: str) -> float:
    r, g, b = Color.parse(colour).rgb
    return colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)[0] * 360


def test_the_colour_blind_theme_has_no_red_green_pair():
    spec = shipped()["oncall-colour-blind"]
    good = [spec.health.ok, spec.success]
    bad = [spec.health.down, spec.severity.critical, spec.error]
    # green is ~75-165 degrees of hue, red ~345-20: neither may carry good vs bad here
    assert not [c for c in good if c and 75 <= _hue(c) <= 165], good
    assert all(c and 15 <= _hue(c) <= 60 for c in bad), bad  # vermillion/orange, told apart from blue by lightness too


def test_a_broken_theme_is_reported_in_one_line_and_the_others_still_load(isolated_dirs):
    folder = user_themes_dir(isolated_dirs)
    (folder / "typo.toml").write_text('name = "typo"\nprimary = "#5fafff"\n[severity]\ncritical = "reddish"\n')
    (folder / "unknown-field.toml").write_text('name = "unknown-field"\nprimary = "#5fafff"\ncolour = "#fff"\n')
    (folder / "not-toml.toml").write_text('name = "x\n')
    (folder / "mine.toml").write_text('name = "mine"\nprimary = "#00ff00"\n')

    loaded, problems = themes.load_themes()

    names = {t.name for t in loaded}
    assert {"mine", "oncall-dark", "oncall-colour-blind"} <= names
    assert len(problems) == 3 and all("\n" not in p for p in problems)
    typo = next(p for p in problems if "typo.toml" in p)
    assert "severity.critical" in typo and "'reddish' is not a colour" in typo and "fix:" in typo
    extra = next(p for p in problems if "unknown-field.toml" in p)
    assert "colour: unknown field" in extra and "fix:" in extra
    assert "not valid TOML" in next(p for p in problems if "not-toml.toml" in p)
    # a user theme that leaves the app's colours out gets them from its own colours
    mine = next(t for t in loaded if t.name == "mine")
    assert "severity-critical" not in mine.variables


async def test_theme_command_switches_colours_and_is_remembered_not_written_to_config(tmp_path, isolated_dirs):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_data(app, pilot)
        assert app.theme == "oncall-dark"
        assert not theme_choice_path().exists()  # starting the app is not a choice
        dark_critical = SEVERITY_STYLE[Severity.CRITICAL]
        await pilot.press("colon")
        await type_text(pilot, "theme oncall-colour-blind")
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "oncall-colour-blind"
        # Rich styles in the lists follow the theme: vermillion critical, sky-blue healthy
        assert SEVERITY_STYLE[Severity.CRITICAL] == "bold #D55E00" != dark_critical
        assert HEALTH_STYLE[DeploymentHealth.HEALTHY] == "#56B4E9"
        assert app.get_css_variables()["health-ok"].lower() == "#56b4e9"

    assert not (isolated_dirs / "config" / "mlops-tui" / "config.toml").exists()
    again = demo_app(tmp_path)
    async with again.run_test(size=SIZE) as pilot:
        assert again.theme == "oncall-colour-blind"


async def test_theme_command_with_an_unknown_name_lists_the_themes_and_keeps_the_current(tmp_path):
    app = demo_app(tmp_path)
    notes: list[str] = []
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for_data(app, pilot)
        original_notify = app.notify
        app.notify = lambda message, **kw: (notes.append(str(message)), original_notify(message, **kw))[1]
        app.run_command(":theme nope")
        await pilot.pause()
    assert app.theme == "oncall-dark"
    assert notes and "no theme 'nope'" in notes[0] and "oncall-high-contrast" in notes[0]


def test_the_last_explicit_choice_wins_between_config_and_app():
    assert themes.remembered_theme("oncall-dark") == "oncall-dark"  # nothing chosen in the app yet
    themes.remember_theme("oncall-light", configured="oncall-dark")
    assert themes.remembered_theme("oncall-dark") == "oncall-light"  # chosen in the app after the config
    # the user edits `theme =` in the config later: that edit is the newer choice
    assert themes.remembered_theme("oncall-high-contrast") == "oncall-high-contrast"
