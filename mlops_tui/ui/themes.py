"""Theme files (TOML) validated by pydantic and registered as Textual themes.

Themes come from the `themes/` folder shipped beside the package and from the user's
config dir (`themes/*.toml`); a theme that fails to load is reported, and the app falls
back to a built-in theme.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from textual.app import App
from textual.theme import Theme

from mlops_tui.core.paths import config_path
from mlops_tui.ui.textual_internals import refresh_truecolor_filter

FALLBACK = "textual-dark"
# Package data (pyproject.toml): the same place in a checkout, a wheel and an sdist.
_SHIPPED = Path(__file__).resolve().parent.parent / "themes"


class ThemeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    dark: bool = True
    primary: str
    secondary: str | None = None
    accent: str | None = None
    warning: str | None = None
    error: str | None = None
    success: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    variables: dict[str, str] = {}


def theme_dirs() -> list[Path]:
    dirs = [_SHIPPED]
    try:
        dirs.append(config_path(None).parent / "themes")
    except Exception:
        pass
    return dirs


def load_themes() -> tuple[list[Theme], list[str]]:
    themes: list[Theme] = []
    problems: list[str] = []
    for folder in theme_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                spec = ThemeFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
                themes.append(Theme(**spec.model_dump()))
            except (OSError, tomllib.TOMLDecodeError, ValidationError, ValueError) as exc:
                problems.append(f"{path}: {str(exc).splitlines()[0]}")
    return themes, problems


def register_themes(app: App[Any], wanted: str) -> list[str]:
    """Register the theme files and pick `wanted`; returns the problems to tell the user.

    Called before the app mounts, so the first stylesheet pass already uses the theme
    (setting it after mount parses every stylesheet a second time).
    """
    themes, problems = load_themes()
    for theme in themes:
        app.register_theme(theme)
    names = set(app.available_themes)
    chosen = wanted if wanted in names else ("oncall-dark" if "oncall-dark" in names else FALLBACK)
    _apply_before_start(app, chosen)
    if wanted not in names:
        problems.append(f"theme {wanted!r} not found; using {chosen}")
    return problems


def _apply_before_start(app: App[Any], name: str) -> None:
    """Set the theme of an app that has not started, the way App.__init__ sets its default.

    Assigning `app.theme` runs its watcher, which queues a full CSS refresh; together with
    the screen noticing the change, that parses and applies every stylesheet three times
    on the way to the first frame (~15 ms). Nothing is parsed yet, so giving the
    stylesheet the theme's variables now is all a refresh would do.
    """
    app.set_reactive(App.theme, name)
    theme = app.current_theme
    app.set_class(True, f"-theme-{name}", update=False)
    app.set_class(theme.dark, "-dark-mode", update=False)
    app.set_class(not theme.dark, "-light-mode", update=False)
    refresh_truecolor_filter(app)  # as App._watch_theme does
    app.stylesheet.set_variables(app.get_css_variables())
