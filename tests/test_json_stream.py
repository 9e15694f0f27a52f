"""A big JSON array read from the parts its body came in: the same items as `json.loads`,
wherever the parts' seams fall (inside a string, a number, a multi-byte character, between
tokens), and refused the same when it is not a JSON array."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_tui.backends import json_stream
from mlops_tui.backends.json_stream import NotJson, TextPieces, iter_json_array

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def decode_parts(parts, charset=None):
    """The body's text as JsonHttp reads it: each part given to TextPieces as it comes."""
    pieces = TextPieces(charset)
    for part in parts:
        pieces.add(part)
    return pieces.finish()


def split(data, cuts):
    """`data` cut at the given positions (sorted, clamped, duplicates make empty parts)."""
    points = sorted(min(max(c, 0), len(data)) for c in cuts)
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@settings(max_examples=300, deadline=None)
@given(st.lists(values, max_size=8), st.lists(st.integers(0, 400), max_size=12), st.booleans())
def test_items_are_the_same_wherever_the_parts_are_cut(items, cuts, spaced):
    text = json.dumps(items, indent=1 if spaced else None, ensure_ascii=False)
    assert list(iter_json_array(split(text, cuts))) == json.loads(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(), max_size=6), st.lists(st.integers(0, 200), max_size=10))
def test_bytes_cut_inside_a_character_decode_to_the_same_text(strings, cuts):
    body = json.dumps(strings, ensure_ascii=False).encode("utf-8")
    texts = decode_parts(split(body, cuts))
    assert "".join(texts) == body.decode("utf-8")
    assert list(iter_json_array(texts)) == strings


def test_a_number_at_a_seam_is_read_whole():
    """`[12` then `34]`: 1234, not 12 and then garbage; so for `0.` then `5`."""
    assert list(iter_json_array(["[12", "34, 5", "6, 0.", "5, -", "1e", "+3]"])) == [1234, 56, 0.5, -1000.0]


def test_a_body_that_is_not_utf8_is_read_in_the_charset_its_server_named():
    body = '["café"]'.encode("latin-1")
    assert list(iter_json_array(decode_parts([body[:4], body[4:]], "iso-8859-1"))) == ["café"]


@pytest.mark.parametrize("body", ["", "{}", "[", '[{"a": 1}', '[{"a": 1},]', "[1 2]", "[1] x", "<html>"])
@pytest.mark.parametrize("cut", [1, 2, 3, 5])
def test_what_is_not_a_json_array_is_refused_in_parts_too(body, cut):
    with pytest.raises(NotJson):
        list(iter_json_array(split(body, range(cut, len(body), cut))))


def test_a_refusal_names_the_character_of_the_whole_body():
    parts = ['[{"a": 1},', ' {"b": 2}, ', "{oops}]"]
    with pytest.raises(NotJson, match="character 21"):
        list(iter_json_array(parts))


def test_a_long_garbage_body_is_refused_without_joining_it_again_at_every_part(monkeypatch):
    """At a seam, parts are read on until what is unread doubled: 10,000 parts of a string
    that never ends cost ~14 joins of the growing text, not 10,000 (quadratic in the body)."""
    joins = []
    more = json_stream._Text.more

    def counted(self, at):
        joins.append(len(self.buf) - at)
        return more(self, at)

    monkeypatch.setattr(json_stream._Text, "more", counted)
    with pytest.raises(NotJson):
        list(iter_json_array(['["', *("x" * 100 for _ in range(10_000))]))
    assert len(joins) < 30, f"{len(joins)} joins"
