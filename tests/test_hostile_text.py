"""Text from outside stays inert, and secrets stay masked however the text is cut or encoded.

Unit level: the one sanitiser (`services.text.sanitise`, behind `printable` and the UI's
`visible`), `redact` and `redact_data`, the audit log's write path, config errors; end to end
through `main()`: a backend name from the config that carries OSC 52 and a newline.
"""

from __future__ import annotations

import json
from datetime import UTC

import pytest

from mlops_tui.cli import main
from mlops_tui.core import secrets
from mlops_tui.core.errors import ConfigError
from mlops_tui.core.secrets import MASK, redact, redact_data
from mlops_tui.core.text import inert_json, printable, sanitise
from mlops_tui.services.audit import AuditLog
from mlops_tui.ui.literal import visible

BIDI = "Invoice\u202efdp.exe\u202c"  # shows as "Invoiceexe.pdf" on a bidi terminal
HIDDEN = [
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
]
OSC52 = "\x1b]52;c;ZXZpbA==\x07"
TOKENS = [
    'q"uo\\te%s%(x)s.*+?[a]{2}|^$-9f2c',
    'pässwörd-ключ-🔑-"\\%2F(.*)',
    "abc$1\\1\\g<0>-regex-replacement",
]


@pytest.fixture
def resolved(monkeypatch):
    """Pretend the process resolved `token` (as `resolve_secret` does), for this test only."""
    monkeypatch.setattr(secrets, "_RESOLVED", {})
    monkeypatch.setattr(secrets, "_PATTERN", None)

    def remember(token: str) -> str:
        return secrets._remember(token)

    return remember


# -- the one sanitiser -------------------------------------------------------------------------
@pytest.mark.parametrize("char", HIDDEN)
def test_bidi_and_zero_width_characters_are_shown_by_name(char):
    code = f"<U+{ord(char):04X}>"
    for shown in (printable(f"a{char}b"), visible(f"a{char}b")):
        assert shown == f"a{code}b"


def test_the_bidi_trick_is_shown_as_it_is_stored():
    assert printable(BIDI) == "Invoice<U+202E>fdp.exe<U+202C>"
    assert visible(BIDI) == printable(BIDI)  # one sanitiser: the UI's differs only in symbols


def test_controls_are_escaped_the_same_way_everywhere():
    assert printable(OSC52) == "\\x1b]52;c;ZXZpbA==\\x07"
    assert visible(OSC52) == "␛]52;c;ZXZpbA==␇"
    assert visible(OSC52) == sanitise(OSC52, symbols=True)
    assert printable("a\x9bb\x7f") == "a\\x9bb\\x7f"  # C1 CSI and DEL


def test_long_text_is_cut_with_a_marker():
    shown = printable("x" * 10_000)
    assert len(shown) == 500 and shown.endswith("…")
    assert visible("y" * 10_000, 80) == "y" * 79 + "…"
    assert printable("short") == "short"


def test_the_cut_counts_characters_before_escaping():
    shown = printable("\u202e" * 1000, 10)  # nine overrides and the marker, each made visible
    assert shown == "<U+202E>" * 9 + "…"


def test_json_output_is_inert_and_still_the_same_data():
    data = {"name": BIDI + "\x9b" + "\x1b[2J", "zw": "pay\u200bpal"}
    encoded = inert_json(json.dumps(data, ensure_ascii=False, indent=2))
    assert "\u202e" not in encoded and "\u200b" not in encoded and "\x9b" not in encoded
    assert "\x1b" not in encoded
    assert "\\u202e" in encoded
    assert json.loads(encoded) == data
    assert encoded.count("\n") == 3  # the layout is kept


# -- redaction ---------------------------------------------------------------------------------
@pytest.mark.parametrize("token", TOKENS)
def test_a_secret_is_masked_in_its_encoded_forms(resolved, token):
    resolved(token)
    assert redact(f"x {token} y") == f"x {MASK} y"
    assert token not in redact(json.dumps({"a": token}))
    assert json.dumps(token)[1:-1] not in redact(json.dumps({"a": token}))
    assert repr(token)[1:-1] not in redact(repr(token))
    assert redact(f"{token}{token}") == MASK + MASK


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("at", [0, 40, 63, 75, 79])
def test_masking_comes_before_the_cut(resolved, token, at):
    resolved(token)
    text = "." * at + token + " and more words after it"
    for limit in (80, 200):
        cut = redact(text, limit)
        assert len(cut) <= limit
        assert token[:3] not in cut  # not even a short start of it: the mask was there first
        assert cut.endswith("…") == (len(text.replace(token, MASK)) > limit)


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("kept", [6, 7, 12])
def test_a_prefix_left_by_a_cut_elsewhere_is_masked(resolved, token, kept):
    resolved(token)
    for marker in ("…", "..."):
        text = "the server said: " + token[:kept] + marker
        assert redact(text) == "the server said: " + MASK + marker


def test_a_short_prefix_or_an_uncut_text_is_left_alone(resolved):
    token = "s3cr3t-t0ken-4f9a2c"
    resolved(token)
    assert redact("id s3cr3…") == "id s3cr3…"  # five characters: too common to mean the secret
    assert redact("the word s3cr3t-t0 ends here") == "the word s3cr3t-t0 ends here"


def test_redact_data_masks_keys_and_values_and_keeps_what_is_clean(resolved):
    token = TOKENS[0]
    resolved(token)
    clean = {"a": ["x", ("y",)]}
    assert redact_data(clean) is clean
    data = {"labels": {token: f"v {token}"}, "list": [1, None, token], "t": (token,)}
    assert redact_data(data) == {"labels": {MASK: f"v {MASK}"}, "list": [1, None, MASK], "t": (MASK,)}


def test_redact_data_rebuilds_frozen_models(resolved):
    from mlops_tui.domain import Alert
    from mlops_tui.domain.base import utcnow

    token = TOKENS[1]
    resolved(token)
    alert = Alert(
        fingerprint="f",
        labels={"alertname": f"Leak {token}"},
        starts_at=utcnow(),
        annotations={"summary": token},
        backend="am",
    )
    masked = redact_data(alert)
    assert masked.name == f"Leak {MASK}" and masked.summary == MASK
    assert alert.name == f"Leak {token}"  # the original is untouched (frozen)


@pytest.mark.parametrize("token", TOKENS)
def test_the_audit_log_masks_before_json_escapes_quotes_and_backslashes(resolved, tmp_path, token):
    resolved(token)
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append(
        user="oncall",
        action="ack",
        target=f"alert {token}",
        outcome="failed",
        detail={"error": f'server said "{token}"', token: 1},
    )
    text = (tmp_path / "audit.jsonl").read_text()
    for form in (token, json.dumps(token)[1:-1], json.dumps(token, ensure_ascii=False)[1:-1]):
        assert form[:6] not in text
    entry = json.loads(text)
    assert entry["target"] == f"alert {MASK}"
    assert entry["detail"]["error"] == f'server said "{MASK}"'


# -- config errors and stderr ------------------------------------------------------------------
def test_a_config_error_is_inert_and_fits_on_a_screen():
    error = ConfigError(
        f"backend name {'am' + OSC52 + chr(10) + 'FAKE: all healthy'} is used twice " + "x" * 10_000,
        path="/tmp/config.toml",
        where=f"backends[1].name{OSC52}",
        fix="Give each backend its own name.",
    )
    text = error.render()
    assert "\x1b" not in text and "\x07" not in text
    assert "FAKE: all healthy" in text
    assert not any(line.startswith("FAKE") for line in text.splitlines())  # the newline is shown
    assert len(text) < 1200 and "…" in text


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_a_backend_name_from_the_config_cannot_write_the_clipboard_from_stderr(tmp_path, capsys):
    # a backend on a closed port: its name is printed to stderr with the reason
    config = write(
        tmp_path,
        '[[backends]]\nname = "am\\u001b]52;c;ZXZpbA==\\u0007\\nFAKE: all healthy"\n'
        'kind = "alertmanager"\nurl = "http://127.0.0.1:9"\n',
    )
    main(["alerts", "list", "--config", str(config), "--timeout", "5"])
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "mlops-tui: alerts incomplete: am\\x1b]52;c;ZXZpbA==\\x07\\x0aFAKE: all healthy unreachable" in err
    assert not any(line.startswith("FAKE") for line in err.splitlines())


def test_a_ten_thousand_character_config_line_is_cut(tmp_path, capsys):
    config = write(tmp_path, f'[[backends]]\nname = "am"\nkind = "{"x" * 10_000}"\nurl = "http://127.0.0.1:9"\n')
    code = main(["alerts", "list", "--config", str(config)])
    _, err = capsys.readouterr()
    assert code == 2
    assert "problem:" in err and "…" in err
    assert max(len(line) for line in err.splitlines()) <= 520
    assert len(err) < 2000


def test_the_audit_log_is_printed_inert(capsys):
    from mlops_tui.core.paths import audit_log_path

    AuditLog(audit_log_path()).append(user="oncall", action="ack", target=f"alert {BIDI}{OSC52}", outcome="ok")
    assert main(["audit"]) == 0
    table = capsys.readouterr().out
    assert main(["audit", "--json"]) == 0
    as_json = capsys.readouterr().out
    for text in (table, as_json):
        assert "\u202e" not in text and "\x1b" not in text and "\x07" not in text
    assert "alert Invoice<U+202E>fdp.exe<U+202C>\\x1b]52;c;ZXZpbA==\\x07" in table
    assert json.loads(as_json)[0]["target"] == f"alert {BIDI}{OSC52}"  # the same data for a program


def test_a_nan_drift_score_is_no_crossing_in_what_changed():
    from datetime import datetime, timedelta

    from mlops_tui.domain import DriftScore
    from mlops_tui.services.snapshot import Snapshot
    from mlops_tui.services.timeline import what_changed

    start = datetime(2026, 1, 1, tzinfo=UTC)
    scores = [0.5, float("nan"), 0.6, 0.1]  # drifted, no value, drifted, back within
    drift = tuple(
        DriftScore(model="fraud", feature="amount", score=s, threshold=0.2, time=start + timedelta(minutes=i))
        for i, s in enumerate(scores)
    )
    events = what_changed(Snapshot(drift=drift), "fraud", None, before=start + timedelta(hours=1))
    texts = [e.text for e in events]
    assert texts == ["amount back within its threshold (dist 0.1 ≤ 0.2)"]
