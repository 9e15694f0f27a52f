"""One identity per person: names compare after NFKC and case folding, and a name that holds
an invisible or control character is refused before anything runs (exit 2)."""

from __future__ import annotations

import json

import pytest

from mlops_tui.cli import main
from mlops_tui.config.identity import IdentityError, check_identity, current_user, same_identity
from mlops_tui.core.paths import audit_log_path
from mlops_tui.core.text import printable

LOOK_ALIKES = [
    "Carol",
    "CAROL",
    " carol ",
    "ｃａｒｏｌ",  # fullwidth letters
    "Ｃａｒｏｌ",
    "carol\u00a0",  # a no-break space at the end is trimmed like any outer space
    "ᶜarol",  # modifier small c: NFKC makes it c
]


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_look_alikes_are_the_same_person(name):
    assert same_identity(name, "carol")
    assert check_identity(name, source="test") == "carol"


def test_different_people_stay_different():
    assert not same_identity("carol", "caro1")
    assert not same_identity("carol", "carolyn")
    assert not same_identity("", "")  # nobody is not the same as nobody
    assert same_identity("Straße", "STRASSE")  # full case folding, not just lower()


@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("carol\u200b", "U+200B ZERO WIDTH SPACE"),
        ("car\u200dol", "U+200D ZERO WIDTH JOINER"),
        ("\ufeffcarol", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("carol\u2060", "U+2060 WORD JOINER"),
        ("lorac\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u2066carol\u2069", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("carol\x1b[2J", "U+001B"),
        ("carol\nbob", "U+000A"),
    ],
)
def test_invisible_or_control_characters_are_refused(name, named):
    with pytest.raises(IdentityError) as refused:
        check_identity(name, source="$MLOPS_TUI_USER")
    text = refused.value.render()
    assert named in text
    assert "$MLOPS_TUI_USER" in text
    assert "\x1b" not in text and "\u200b" not in text and "\u202e" not in text
    assert printable(name) in text  # the name is shown, its hidden part made visible


@pytest.mark.parametrize("name", ["", "   ", "\u3000"])  # U+3000: an ideographic space
def test_an_empty_name_is_refused(monkeypatch, name):
    monkeypatch.setenv("MLOPS_TUI_USER", name)
    with pytest.raises(IdentityError, match="empty"):
        current_user()


def test_the_normalised_name_is_the_identity(monkeypatch):
    monkeypatch.setenv("MLOPS_TUI_USER", "  Ｃａｒｏｌ ")
    assert current_user() == "carol"


@pytest.mark.parametrize("name", ["carol\u200b", "\u202ecarol", ""])
def test_a_headless_command_refuses_with_exit_2_and_writes_nothing(capsys, monkeypatch, name):
    monkeypatch.setenv("MLOPS_TUI_USER", name)
    code = main(["--demo", "promotions", "list"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert "identity problem" in err and "MLOPS_TUI_USER" in err
    assert "Traceback" not in err
    assert "\u200b" not in err and "\u202e" not in err
    assert not audit_log_path().exists() and not audit_log_path(demo=True).exists()


def test_the_audit_log_and_the_approval_name_the_normalised_identity(capsys, monkeypatch):
    code = main(["--demo", "promotions", "list", "--json", "--pending"])
    request = json.loads(capsys.readouterr().out)["items"][0]
    monkeypatch.setenv("MLOPS_TUI_USER", "ＺＥＤ")
    code = main(["--demo", "promotions", "approve", request["model"], request["version"], "--yes"])
    _, err = capsys.readouterr()
    assert code == 0, err
    entry = json.loads(audit_log_path(demo=True).read_text().splitlines()[-1])
    assert entry["user"] == "zed"


async def test_the_status_bar_shows_the_normalised_identity(tmp_path, monkeypatch):
    from tests.helpers import demo_app, screen_text, wait_for_data

    monkeypatch.setenv("MLOPS_TUI_USER", "Ｃａｒｏｌ")
    app = demo_app(tmp_path, runs=50)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for_data(app, pilot)
        text = screen_text(app)
        assert "user carol" in text
        assert "Ｃａｒｏｌ" not in text


def test_the_app_refuses_before_it_starts_with_the_one_screen_config_error(capsys, monkeypatch):
    from mlops_tui.ui.app import MlopsApp

    def must_not_start(self, *args, **kwargs):
        raise AssertionError("the app started with an unusable identity")

    monkeypatch.setattr(MlopsApp, "run", must_not_start)
    monkeypatch.setenv("MLOPS_TUI_USER", "\u2066carol\u2069")
    code = main(["--demo"])
    _out, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("mlops-tui: identity problem\n")
    assert "problem: the user name <U+2066>carol<U+2069> from $MLOPS_TUI_USER" in err
    assert "fix:" in err and len(err.splitlines()) <= 8
