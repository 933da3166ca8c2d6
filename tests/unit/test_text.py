"""Text that shows what it holds: the check, the types and the published pattern."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError

from orderflow.parts.text import UnshowableTextError, checked, refused_pattern
from orderflow.parts.validation import MultiLine, OneLine
from tests.unit.strategies import unshowable_chars, with_unshowable

showable = st.text(
    st.characters(exclude_categories=["Cc", "Cf", "Cs", "Zl", "Zp"]), max_size=40
)


class Form(BaseModel):
    name: Annotated[OneLine, Field(max_length=50)]
    comment: Annotated[MultiLine, Field(max_length=50)] | None = None


@given(showable)
def test_showable_text_passes_unchanged_either_way(text: str) -> None:
    assert checked(text) == text
    assert checked(text, multiline=True) == text


@given(st.data())
def test_an_unshowable_character_is_refused_naming_it_and_its_place(
    data: st.DataObject,
) -> None:
    text = data.draw(with_unshowable(data.draw(showable), allowed="\n\t"))
    bad = next(
        c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")
    )

    for multiline in (False, True):
        with pytest.raises(UnshowableTextError) as refused:
            checked(text, multiline=multiline)
        assert f"U+{ord(bad):04X}" in str(refused.value)
        assert f"at character {text.index(bad) + 1}" in str(refused.value)


@pytest.mark.parametrize("char", ["\n", "\t"])
def test_line_feeds_and_tabs_are_for_multiline_text_only(char: str) -> None:
    with pytest.raises(UnshowableTextError, match="one line only"):
        checked(f"a{char}b")

    assert checked(f"a{char}b", multiline=True) == f"a{char}b"


def test_multiline_text_reads_crlf_and_cr_as_line_feeds() -> None:
    assert checked("one\r\ntwo\rthree", multiline=True) == "one\ntwo\nthree"
    with pytest.raises(UnshowableTextError):
        checked("one\r\ntwo")


def test_the_right_to_left_override_of_the_review_is_refused() -> None:
    with pytest.raises(UnshowableTextError, match="U\\+202E RIGHT-TO-LEFT OVERRIDE"):
        checked("Bob \u202egnp.exe")


@given(st.data())
def test_the_types_refuse_in_the_field_they_are_used_for(data: st.DataObject) -> None:
    name = data.draw(with_unshowable("Ann Lee"))

    with pytest.raises(ValidationError) as refused:
        Form(name=name)

    (error,) = refused.value.errors()
    assert error["loc"] == ("name",) and error["type"] == "unshowable_text"
    assert "U+" in error["msg"]


def test_a_multiline_field_keeps_its_lines() -> None:
    form = Form(name="Ann", comment="fine\r\nby me\t!")

    assert form.comment == "fine\nby me\t!"
    with pytest.raises(ValidationError, match="comment"):
        Form(name="Ann", comment="fine \u202eby me")


@pytest.mark.parametrize("multiline", [False, True])
@given(text=st.text(max_size=30))
def test_the_published_pattern_is_never_stricter_than_the_check(
    multiline: bool, text: str
) -> None:
    pattern = re.compile(refused_pattern(multiline))
    try:
        checked(text, multiline=multiline)
    except UnshowableTextError:
        return
    assert pattern.fullmatch(text.replace("\r", "\n") if multiline else text)


@pytest.mark.parametrize("multiline", [False, True])
@given(char=unshowable_chars.filter(lambda c: c <= "\uffff" and c not in "\n\t\r"))
def test_the_published_pattern_refuses_every_bmp_character_the_check_does(
    multiline: bool, char: str
) -> None:
    if unicodedata.category(char) == "Cs":
        return  # no regex dialect the document may use can name one
    assert not re.fullmatch(refused_pattern(multiline), f"a{char}b")


def test_the_pattern_lands_in_the_json_schema() -> None:
    schema = Form.model_json_schema()["properties"]

    assert schema["name"]["pattern"] == refused_pattern(False)
    assert schema["comment"]["anyOf"][0]["pattern"] == refused_pattern(True)
