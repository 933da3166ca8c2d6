"""Map domain errors to HTTP answers, in one place for every HTTP handler."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from orderflow.domain.errors import InvalidInputError, OrderConflictError
from orderflow.origins import expected_origin, foreign_origin
from orderflow.parts.validation import PayloadTooLargeError

# On every JSON answer: never sniffed into something else, never cached (an
# order's answer carries customer data).
JSON_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


class ForeignOriginError(Exception):
    """A browser page of another origin posted to the API."""


def json_error(
    status: HTTPStatus, error: str, message: str, **extra: object
) -> Response[dict[str, object]]:
    """A JSON error body: {"error", "message", ...}."""
    return Response(
        status_code=status,
        content_type="application/json",
        body={"error": error, "message": message, **extra},
    )


ERRORS: tuple[tuple[type[Exception], HTTPStatus, str], ...] = (
    # invalid_order, invalid_return...: the code names what was refused
    (InvalidInputError, HTTPStatus.BAD_REQUEST, "invalid_{what}"),
    (PayloadTooLargeError, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large"),
    (OrderConflictError, HTTPStatus.CONFLICT, "order_conflict"),
    (ForeignOriginError, HTTPStatus.FORBIDDEN, "foreign_origin"),
)


def _answer(
    status: HTTPStatus, code: str
) -> Callable[[Exception], Response[dict[str, object]]]:
    def handle(e: Exception) -> Response[dict[str, object]]:
        if isinstance(e, InvalidInputError):
            fields = [p.as_dict() for p in e.fields]
            named = code.format(what=e.what)
            return json_error(status, named, str(e), fields=fields)
        return json_error(status, code, str(e))

    return handle


def accepted(
    app: APIGatewayHttpResolver,
    public_url: str,
    *,
    path: str,
    body: dict[str, object],
    duplicate: bool,
) -> Response[dict[str, object]]:
    """202 of a front door: ``body`` with where to follow it (``path``), and if
    it was a repeat. The base is the configured public URL, else the API's own
    domain from the request."""
    base = public_url or f"https://{app.current_event.request_context.domain_name}"
    return Response(
        status_code=HTTPStatus.ACCEPTED,
        content_type="application/json",
        body={**body, "status_url": f"{base}{path}", "duplicate": duplicate},
    )


def refuse_foreign_origin(app: APIGatewayHttpResolver, public_url: str) -> None:
    """Raise ForeignOriginError if a page of another origin sent this request.

    Raises:
        ForeignOriginError: the Origin header names another origin.
    """
    event = app.current_event
    expected = expected_origin(public_url, event.request_context.domain_name)
    given = foreign_origin(event.headers or {}, expected)
    if given is not None:
        raise ForeignOriginError(
            f"Origin {given} is not this API's ({expected}): a page of another "
            "site may not post here"
        )


def with_json_headers(answer: dict[str, Any]) -> dict[str, Any]:
    """``answer`` (a resolver's result) with JSON_HEADERS if its body is JSON."""
    headers = answer.setdefault("headers", {})
    kind = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if kind.startswith("application/json"):
        for name, value in JSON_HEADERS.items():
            headers.setdefault(name, value)
    return answer


def _no_route(_: NotFoundError) -> Response[dict[str, object]]:
    return json_error(HTTPStatus.NOT_FOUND, "not_found", "no such route")


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    """Install the shared exception handlers on ``app``."""
    for exception, status, code in ERRORS:
        app.exception_handler(exception)(_answer(status, code))
    app.not_found(_no_route)
