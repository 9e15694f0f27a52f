"""Finding the line of a key in TOML text (config/toml_lines.py), without loading settings."""

from __future__ import annotations

import tomllib

import pytest

from mlops_tui.config.toml_lines import duplicate_key, line_of, syntax_error_position

TEXT = """\
theme = "oncall-dark"

[contexts.prod]
read_only = true

[[contexts.prod.backends]]
name = "mlflow"
url = "http://a"

[[contexts.prod.backends]]
name = "am"
"auth".token = "keyring:x"
"""


@pytest.mark.parametrize(
    ("key", "line"),
    [
        (("theme",), 1),
        (("contexts", "prod", "read_only"), 4),
        (("contexts", "prod", "backends", 0, "url"), 8),
        (("contexts", "prod", "backends", 1), 10),
        (("contexts", "prod", "backends", 1, "auth", "token"), 12),
        # not written in the file: the closest enclosing table
        (("contexts", "prod", "backends", 1, "verify_tls"), 10),
        (("contexts", "prod", "missing"), 3),
        (("nowhere",), None),
    ],
)
def test_line_of_a_key(key, line):
    assert line_of(TEXT, key) == line


def test_duplicate_key_names_the_second_setting():
    text = '[contexts.a]\nread_only = true\n[[contexts.a.backends]]\nname = "x"\nname = "y"\n'
    assert duplicate_key(text) == (5, ("contexts", "a", "backends", 0, "name"))
    assert duplicate_key(TEXT) is None


def _tomllib_message(text: str) -> str:
    with pytest.raises(tomllib.TOMLDecodeError) as info:
        tomllib.loads(text)
    return str(info.value)


def test_syntax_error_position_from_tomllib():
    text = 'theme = "x"\nrefresh_seconds = \n'
    message, line, column = syntax_error_position(_tomllib_message(text), text)
    assert (line, column) == (2, 19)
    assert "line" not in message and message


def test_syntax_error_at_end_of_document_is_the_last_line():
    text = 'a = 1\nb = "never closed'
    message, line, column = syntax_error_position(_tomllib_message(text), text)
    assert (message, line, column) == ("Unterminated string", 2, None)
