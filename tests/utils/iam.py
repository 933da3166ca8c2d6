"""An IAM evaluator for the subset of policy language template.yaml uses.

Enough to decide, for one request, what AWS would: whether a statement's
Action, Resource, Principal and Condition cover it, and whether a KMS key may
be used by a principal (the key policy alone, or the key policy delegating to
the account and an identity policy allowing). Anything outside the subset
raises, so a template that grows a new operator cannot pass unevaluated.

The subset: Allow/Deny; Action and Resource with ``*`` and ``?``; Principal
``AWS`` (ARNs) or ``Service``; condition operators StringEquals, StringLike,
ArnEquals, ArnLike (each optionally ``ForAllValues:`` / ``ForAnyValue:``) and
Null. As in IAM, ``ForAllValues`` holds for a key the request lacks, which is
why the template pairs it with ``Null: false``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

Context = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Request:
    """One authorisation AWS makes: an action on a resource, with its context."""

    action: str
    resource: str
    context: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def of(
        cls,
        action: str,
        resource: str,
        context: Mapping[str, Iterable[str] | str] | None = None,
    ) -> Request:
        """A request with ``context`` (each key one value or several)."""
        return cls(action, resource).with_context(context or {})

    def with_context(self, context: Mapping[str, Iterable[str] | str]) -> Request:
        """The same request with more context."""
        merged = dict(self.context)
        for key, value in context.items():
            merged[key] = (value,) if isinstance(value, str) else tuple(value)
        return Request(self.action, self.resource, tuple(sorted(merged.items())))

    @property
    def values(self) -> dict[str, tuple[str, ...]]:
        """Context keys (lower case: IAM compares them so) to their values."""
        return {key.lower(): value for key, value in self.context}


def as_list(value: Any) -> list[Any]:
    """A policy element that may be a scalar or a list, as a list."""
    return value if isinstance(value, list) else [value]


@cache
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM's wildcards: ``*`` any run of characters, ``?`` any one; no classes."""
    body = "".join(
        ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern
    )
    return re.compile(f"^{body}$", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(value: str, pattern: str, *, ignore_case: bool = False) -> bool:
    """True if ``value`` matches the IAM wildcard ``pattern``."""
    return bool(_glob(pattern, ignore_case).match(value))


def _arn_like(value: str, pattern: str) -> bool:
    """ArnLike: each of the six colon-separated parts is matched on its own."""
    parts, wanted = value.split(":", 5), pattern.split(":", 5)
    return len(parts) == len(wanted) == 6 and all(
        glob_match(p, w) for p, w in zip(parts, wanted, strict=True)
    )


MATCHERS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda value, expected: value == expected,
    "StringLike": glob_match,
    "ArnEquals": lambda value, expected: value == expected,
    "ArnLike": _arn_like,
}


def _clause(operator: str, key: str, expected: list[str], values: Context) -> bool:
    if operator == "Null":
        (wanted,) = expected
        return (key.lower() not in values) == (str(wanted).lower() == "true")
    qualifier, _, base = operator.rpartition(":")
    match = MATCHERS[base]  # KeyError: an operator outside the subset
    present = values.get(key.lower())
    if present is None:
        return qualifier == "ForAllValues"
    if qualifier == "ForAllValues":
        return all(any(match(v, e) for e in expected) for v in present)
    if qualifier == "ForAnyValue":
        return any(match(v, e) for v in present for e in expected)
    if qualifier:
        raise ValueError(f"unsupported qualifier {qualifier}")
    (value,) = present  # a single-valued key
    return any(match(value, e) for e in expected)


def condition_holds(condition: Mapping[str, Any] | None, request: Request) -> bool:
    """Every clause of ``condition`` holds for ``request``'s context."""
    values = request.values
    return all(
        _clause(operator, key, [str(e) for e in as_list(expected)], values)
        for operator, clauses in (condition or {}).items()
        for key, expected in clauses.items()
    )


def covers(statement: Mapping[str, Any], request: Request) -> bool:
    """The statement's Action, Resource and Condition cover the request."""
    if "NotAction" in statement or "NotResource" in statement:
        raise ValueError("NotAction/NotResource are outside the subset")
    actions = as_list(statement["Action"])
    resources = as_list(statement["Resource"])
    return (
        any(glob_match(request.action, a, ignore_case=True) for a in actions)
        and any(glob_match(request.resource, r) for r in resources)
        and condition_holds(statement.get("Condition"), request)
    )


def identity_allows(statements: Iterable[Mapping[str, Any]], request: Request) -> bool:
    """An identity policy allows the request (some Allow covers it, no Deny does)."""
    listed = list(statements)
    if any(s["Effect"] == "Deny" and covers(s, request) for s in listed):
        return False
    return any(s["Effect"] == "Allow" and covers(s, request) for s in listed)


@dataclass(frozen=True)
class Principal:
    """Who asks: an IAM role (by ARN) or an AWS service principal."""

    arn: str | None = None
    service: str | None = None
    identity: tuple[Mapping[str, Any], ...] = field(default=(), compare=False)


def names(statement: Mapping[str, Any], kind: str) -> list[str]:
    """The principals of ``kind`` (``AWS`` or ``Service``) a statement names."""
    principal = statement.get("Principal", {})
    if principal == "*":
        raise ValueError("Principal * is outside the subset")
    return [str(p) for p in as_list(principal.get(kind, []))]


def key_allows(
    key_policy: Mapping[str, Any],
    principal: Principal,
    request: Request,
    *,
    account_root: str,
) -> bool:
    """KMS's decision for a principal of the key's account.

    Allowed if the key policy allows the principal itself, or allows the
    account (root), which hands the decision to IAM, and the principal's
    identity policy allows. ``Resource: "*"`` in a key policy is the key.
    """
    statements = key_policy["Statement"]
    as_key = Request(request.action, "*", request.context)

    def naming(who: Callable[[Mapping[str, Any]], bool], effect: str) -> bool:
        return any(
            s["Effect"] == effect and who(s) and covers(s, as_key) for s in statements
        )

    def itself(s: Mapping[str, Any]) -> bool:
        if principal.service is not None:
            return principal.service in names(s, "Service")
        return principal.arn in names(s, "AWS")

    def root(s: Mapping[str, Any]) -> bool:
        return principal.arn is not None and account_root in names(s, "AWS")

    if naming(itself, "Deny") or naming(root, "Deny"):
        return False
    if naming(itself, "Allow"):
        return True
    return naming(root, "Allow") and identity_allows(principal.identity, request)
