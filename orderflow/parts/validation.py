"""A front door's reading: the body's bytes, its JSON, the process's model.

Every process's front door refuses a malformed request before anything starts,
with a message per field by dotted path (``items.0.quantity``): a body nested
too deep before it is parsed (orderflow/parts/nesting.py), and text a person
will read that does not show as what it holds, through the field types
``OneLine`` and ``MultiLine`` (orderflow/parts/text.py).
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, Field, ValidationError
from pydantic_core import PydanticCustomError

from orderflow.domain.errors import FieldProblem, InvalidInputError
from orderflow.parts.nesting import TOO_DEEP, too_deep
from orderflow.parts.text import UnshowableTextError, checked, refused_pattern

M = TypeVar("M", bound=BaseModel)
# What each pattern a model uses allows, in words: a refusal says this, not
# pydantic's "String should match pattern '...'".
PATTERN_WORDS: dict[str, str] = {}


def worded(pattern: str, words: str) -> str:
    """``pattern``, with what it allows in words for the refusals that name it."""
    PATTERN_WORDS[pattern] = words
    return pattern


# Execution names allow letters, digits, '-' and '_', up to 64 characters; a
# subject's id names its durable execution, so it obeys the same rule.
SUBJECT_ID_PATTERN = worded(
    r"^[A-Za-z0-9_-]{1,64}$", "1 to 64 letters, digits, dashes or underscores"
)


def _validator(multiline: bool) -> Any:
    """The text check as a pydantic validator: its message names the field."""

    def check(value: str) -> str:
        try:
            return checked(value, multiline=multiline)
        except UnshowableTextError as e:
            reason = {"reason": str(e)}
            raise PydanticCustomError("unshowable_text", "{reason}", reason) from e

    return check


def _schema(multiline: bool) -> Any:
    """The rule as the field's published pattern (the document's negative cases)."""

    def extra(schema: dict[str, Any]) -> None:
        schema["pattern"] = refused_pattern(multiline)

    return extra


# The checks alone, after a field's own pattern: a JSON schema has room for one
# pattern, and constraints after a validator leave the schema (pydantic), so a
# field with a shape of its own (an email) is ``Annotated[str, Field(pattern=
# ...), ONE_LINE_CHECK]`` and publishes its shape, the check refusing the rest.
ONE_LINE_CHECK = AfterValidator(_validator(False))
MULTILINE_CHECK = AfterValidator(_validator(True))
OneLine = Annotated[str, ONE_LINE_CHECK, Field(json_schema_extra=_schema(False))]
MultiLine = Annotated[str, MULTILINE_CHECK, Field(json_schema_extra=_schema(True))]


def parse_body(model: type[M], data: Any, error: type[InvalidInputError]) -> M:
    """Validate decoded JSON into ``model``; ``error`` names every bad field."""
    if not isinstance(data, dict):
        raise error([FieldProblem("body", "must be a JSON object")])
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise error(field_problems(e)) from e


def field_problems(error: ValidationError) -> list[FieldProblem]:
    """One FieldProblem per pydantic error, named by dotted path."""
    problems = []
    for detail in error.errors(include_url=False):
        path = ".".join(str(part) for part in detail["loc"]) or "body"
        message = detail["msg"]
        if detail["type"] == "enum":
            expected = detail.get("ctx", {}).get("expected", "")
            message = f"must be one of {expected}"
        elif detail["type"] == "string_pattern_mismatch":
            pattern = str(detail.get("ctx", {}).get("pattern", ""))
            if pattern in PATTERN_WORDS:
                message = f"must be {PATTERN_WORDS[pattern]}"
        problems.append(FieldProblem(path, message))
    return problems


class PayloadTooLargeError(Exception):
    """The request body is over the configured limit."""


def request_body(
    body: str | None,
    *,
    base64_encoded: bool,
    error: type[InvalidInputError] = InvalidInputError,
) -> bytes:
    """The request's raw bytes, as API Gateway passed them (maybe base64).

    Read as bytes, not text: a body that is not UTF-8 is a bad request (400),
    where decoding it to text first would fail inside the handler (500).

    Raises:
        InvalidInputError: (``error``) the gateway's base64 does not decode.
    """
    if not body:
        return b""
    if not base64_encoded:
        return body.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(body, validate=True)
    except ValueError as e:
        raise error([FieldProblem("body", "is not valid base64")]) from e


def read_json(
    body: str | bytes | None, *, max_bytes: int, error: type[InvalidInputError]
) -> Any:
    """The body's JSON, at most ``max_bytes``; ``error`` says what is wrong with it.

    Raises:
        PayloadTooLargeError: the body is over ``max_bytes``.
        InvalidInputError: (``error``) the body is empty, not UTF-8, not JSON,
            or nests deeper than ``nesting.MAX_DEPTH`` (found before parsing: the
            parser would recurse once per level).
    """
    try:
        raw = body.encode() if isinstance(body, str) else (body or b"")
    except UnicodeEncodeError as e:
        raise error([FieldProblem("body", "is not valid UTF-8")]) from e
    if len(raw) > max_bytes:
        raise PayloadTooLargeError(
            f"body is {len(raw)} bytes; the limit is {max_bytes} bytes"
        )
    if not raw.strip():
        raise error([FieldProblem("body", f"is empty; send a JSON {error.what}")])
    if too_deep(raw):
        raise error([FieldProblem("body", TOO_DEEP)])
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise error([FieldProblem("body", f"is not valid JSON: {e}")]) from e
