"""Parse a request body into a process's pydantic model, naming each bad field.

Every process's front door refuses a malformed request before anything starts,
with a message per field by dotted path (``items.0.quantity``).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from orderflow.domain.errors import FieldProblem, InvalidInputError

M = TypeVar("M", bound=BaseModel)
# Execution names allow letters, digits, '-' and '_', up to 64 characters; a
# subject's id names its durable execution, so it obeys the same rule.
SUBJECT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


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
        problems.append(FieldProblem(path, message))
    return problems
