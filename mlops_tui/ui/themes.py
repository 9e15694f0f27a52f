"""Theme files (TOML) validated by pydantic and registered as Textual themes.

Themes come from the `themes/` folder shipped with the app and from the user's config dir
(`themes/*.toml`); a file that fails to load is reported in one line (file, field, fix) and
the others still load. Besides Textual's colours, every theme carries the app's own:
severity (critical, warning, info) and health (ok, degraded, down, unknown), as the CSS
variables `$severity-*` / `$health-*` and, for Rich text, through `ink()`.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Hashable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError
from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import Theme

from mlops_tui.core.paths import config_path, theme_choice_path
from mlops_tui.ui.textual_internals import refresh_truecolor_filter

K = TypeVar("K", bound=Hashable)
FALLBACK = "textual-dark"
DEFAULT = "oncall-dark"


def _shipped_dir() -> Path:
    """The shipped theme files: inside the installed package (a wheel puts them there, see
    setup.py), else the checkout's top-level `themes/` (editable installs, running from source).
    There is one copy of each file in the repository: `themes/`."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "themes"
    return installed if installed.is_dir() else package.parent / "themes"


def _colour(value: str) -> str:
    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(f"{value!r} is not a colour") from None
    return value


Colour = Annotated[str, AfterValidator(_colour)]


class SeverityColours(BaseModel):
    """Alert severity. Left out: critical is the theme's error, warning its warning, info its primary."""

    model_config = ConfigDict(extra="forbid")
    critical: Colour | None = None
    warning: Colour | None = None
    info: Colour | None = None


class HealthColours(BaseModel):
    """Deployment health. Left out: ok is success, degraded warning, down error, unknown a muted foreground."""

    model_config = ConfigDict(extra="forbid")
    ok: Colour | None = None
    degraded: Colour | None = None
    down: Colour | None = None
    unknown: Colour | None = None


class ThemeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, AfterValidator(lambda v: _name(v))]
    dark: bool = True
    primary: Colour
    secondary: Colour | None = None
    accent: Colour | None = None
    warning: Colour | None = None
    error: Colour | None = None
    success: Colour | None = None
    foreground: Colour | None = None
    background: Colour | None = None
    surface: Colour | None = None
    panel: Colour | None = None
    severity: SeverityColours = SeverityColours()
    health: HealthColours = HealthColours()
    variables: dict[str, str] = {}  # any other Textual CSS variable

    def to_theme(self) -> Theme:
        fields = self.model_dump(exclude={"severity", "health", "variables"})
        variables = dict(self.variables)
        for group, colours in (("severity", self.severity), ("health", self.health)):
            for role, value in colours.model_dump().items():
                if value is not None:
                    variables[f"{group}-{role}"] = value
        return Theme(**fields, variables=variables)


def _name(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", value):
        raise ValueError(f"{value!r} is not a theme name (lower-case letters, digits and '-')")
    return value


# -- the app's own colours -------------------------------------------------------------------
# role -> (CSS variable, the Textual colour it defaults to when a theme leaves it out)
ROLES: dict[str, tuple[str, str]] = {
    "critical": ("severity-critical", "error"),
    "warning": ("severity-warning", "warning"),
    "info": ("severity-info", "primary"),
    "ok": ("health-ok", "success"),
    "degraded": ("health-degraded", "warning"),
    "down": ("health-down", "error"),
    "unknown": ("health-unknown", ""),  # muted foreground
}
_ink: dict[str, str] = {}


def with_app_colours(variables: dict[str, str]) -> dict[str, str]:
    """Textual's CSS variables plus the app's, defaulted from the theme; also what `ink()` uses.

    Called by the app's `get_css_variables`, so it runs on start and on every theme change.
    """
    out = dict(variables)
    for role, (name, base) in ROLES.items():
        value = out.get(name)
        if value is None:
            if base:
                value = out.get(base, "#ff0000")
            else:  # unknown: the foreground, halfway to the background
                fg, bg = Color.parse(out.get("foreground", "#e0e0e0")), Color.parse(out.get("background", "#000000"))
                value = fg.blend(bg, 0.45).hex
            out[name] = value
        _ink[role] = Color.parse(value).hex
    return out


def ink(role: str, emphasis: str = "") -> str:
    """A Rich style for one of the app's colour roles in the current theme, e.g. `ink("critical", "bold")`.

    Roles: critical, warning, info (severity); ok, degraded, down, unknown (health, and the
    good / bad / pending of checks and states). The colour never carries meaning alone: every
    caller also writes a word or a glyph.
    """
    colour = _ink.get(role)
    if colour is None:
        with_app_colours(Theme(DEFAULT, primary="#5fafff").to_color_system().generate())
        colour = _ink[role]
    return f"{emphasis} {colour}".strip()


class InkMap(Mapping[K, str]):
    """A table of styles by key (a severity, a health…) resolved in the current theme on lookup."""

    def __init__(self, roles: dict[K, tuple[str, str]]) -> None:
        self._roles = roles

    def __getitem__(self, key: K) -> str:
        return ink(*self._roles[key])

    def __iter__(self) -> Iterator[K]:
        return iter(self._roles)

    def __len__(self) -> int:
        return len(self._roles)


# -- loading -----------------------------------------------------------------------------------
def theme_dirs() -> list[Path]:
    dirs = [_shipped_dir()]
    try:
        dirs.append(config_path(None).parent / "themes")
    except Exception:
        pass
    return dirs


def _problem(path: Path, exc: Exception) -> str:
    """One line a user can act on: the file, the field, and the fix."""
    if isinstance(exc, tomllib.TOMLDecodeError):
        return f"{path}: not valid TOML ({exc}); fix: check quotes, brackets and '=' on that line"
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "(file)"
        kind = error["type"]
        if kind == "missing" and field == "name":
            return f'{path}: name: missing; fix: add name = "{path.stem}"'
        if kind == "missing":
            return f'{path}: {field}: missing; fix: add {field} = "#5fafff" (a colour)'
        if kind == "extra_forbidden":
            return f"{path}: {field}: unknown field; fix: remove it or correct its spelling (see themes/README.md)"
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        if "colour" in message:
            return f'{path}: {field}: {message}; fix: use a colour like "#ff5f5f" or "rgb(255,95,95)"'
        return f"{path}: {field}: {message}; fix: see themes/README.md"
    return f"{path}: {exc}; fix: check the file can be read"


def shipped_themes() -> list[Theme]:
    """The themes shipped with the app (not the user's)."""
    return load_themes([_shipped_dir()])[0]


def load_themes(folders: list[Path] | None = None) -> tuple[list[Theme], list[str]]:
    """Every theme file that loads, and one line per file that does not."""
    themes: list[Theme] = []
    problems: list[str] = []
    for folder in theme_dirs() if folders is None else folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                themes.append(ThemeFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8"))).to_theme())
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValidationError, ValueError) as exc:
                problems.append(_problem(path, exc))
    return themes, problems


# -- the user's choice -------------------------------------------------------------------------
def remembered_theme(configured: str) -> str:
    """The theme to start with: the last explicit choice wins.

    A choice made in the app (`:theme`, the palette) is saved in the state dir together with
    the config's `theme` at that moment. While the config still says the same, the saved choice
    wins; once the user edits `theme =` in the config, that edit is the newer choice.
    """
    try:
        saved = json.loads(theme_choice_path().read_text(encoding="utf-8"))
        if isinstance(saved, dict) and saved.get("config_theme") == configured and isinstance(saved.get("theme"), str):
            return str(saved["theme"])
    except (OSError, ValueError):
        pass
    return configured


def remember_theme(name: str, configured: str) -> None:
    """Save a choice made in the app; never touches the config file."""
    path = theme_choice_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"theme": name, "config_theme": configured}) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # a read-only state dir costs the memory of the choice, not the switch


def register_themes(app: App[Any], wanted: str) -> list[str]:
    """Register the theme files and pick `wanted`; returns the problems to tell the user.

    Called before the app mounts, so the first stylesheet pass already uses the theme
    (setting it after mount parses every stylesheet a second time).
    """
    themes, problems = load_themes()
    for theme in themes:
        app.register_theme(theme)
    names = set(app.available_themes)
    chosen = wanted if wanted in names else (DEFAULT if DEFAULT in names else FALLBACK)
    _apply_before_start(app, chosen)
    if wanted not in names:
        problems.append(f"theme {wanted!r} not found; using {chosen}; fix: :theme lists the themes")
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
