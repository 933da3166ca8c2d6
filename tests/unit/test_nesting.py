"""The nesting scan: finds depth as the parser would meet it, before parsing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderflow.parts.nesting import MAX_DEPTH, too_deep
from tests.unit.strategies import deep_bodies, json_values, nest

# Brackets, quotes and backslashes inside strings: text, not structure.
tricky_text = st.text(alphabet='[]{}"\\x', max_size=12)
tricky_json = st.recursive(
    json_values | tricky_text,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(tricky_text, children, max_size=3)
    ),
    max_leaves=30,
)


def depth_of(value: Any) -> int:
    """How deep ``value`` nests, counted as the parser counts it."""
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    return 0


@given(tricky_json, st.integers(min_value=0, max_value=40), st.booleans())
def test_the_scan_finds_the_depth_the_parser_meets(
    inner: Any, extra: int, objects: bool
) -> None:
    text = nest(inner, extra, objects=objects)
    depth = extra + depth_of(inner)

    assert too_deep(text, limit=depth) is False
    assert too_deep(text, limit=max(depth - 1, 0)) is (depth > 0)
    assert too_deep(text) is (depth > MAX_DEPTH)
    assert too_deep(text.encode()) is too_deep(text)


@given(deep_bodies())
def test_every_deep_body_is_found(body: bytes) -> None:
    assert too_deep(body)


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ("[" * 40_000, True),  # the review's 40 KB body
        ("[" * 20_000 + "]" * 20_000, True),
        ('{"a":' * 33 + "1" + "}" * 33, True),
        ("[" * 32 + "]" * 32, False),
        ("[" * 33, True),  # unclosed: each bracket a level the parser enters
        ("[]" * 50_000, False),  # wide, not deep
        ('["' + "[" * 1000 + '"]', False),  # brackets in a string
        ('["\\"' + "[" * 1000 + '"]', False),  # ... after an escaped quote
        ('["\\\\"' + ",[" * 40 + "]" * 40 + "]", True),  # the string ended there
        ('"' + "[" * 1000, False),  # an unclosed string: not JSON, not deep
        ("", False),
        ("]]]][[[", False),
    ],
)
def test_known_shapes(text: str, deep: bool) -> None:
    assert too_deep(text) is deep
