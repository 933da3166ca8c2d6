"""GET/HEAD/OPTIONS/POST /approvals/{token}: the page an approver's email links to.

GET and HEAD render and change nothing; OPTIONS lists the methods; POST, with
the page's CSRF value, from the page's own origin and, where the browser
reports it, started by a click or a key, decides once and completes the
workflow's callback through the Lambda API. Every answer, errors included, is
an HTML page with the security headers
(``orderflow.parts.approvals.pages.SECURITY_HEADERS``). The routes
are public (no IAM auth) and throttled in template.yaml: the token is the
credential. Never log the event: its path carries the token.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import parse_qsl

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from orderflow.adapters.lambda_callbacks import LambdaCallbacks
from orderflow.adapters.stores import store_from_url
from orderflow.config import Settings
from orderflow.http_errors import with_json_headers
from orderflow.origins import expected_origin, foreign_origin
from orderflow.parts.approvals.desk import ApprovalDesk, Client
from orderflow.parts.approvals.pages import SECURITY_HEADERS, Page, Problem, problem
from orderflow.parts.approvals.pages import stylesheet as css_page
from orderflow.registry import approval_views

SETTINGS = Settings.from_env()
MAX_FORM_BYTES = 16 * 1024
logger = Logger(service="orderflow-approval-api")
copy_config_to_registered_loggers(source_logger=logger, include={"orderflow"})
# The resolver's debug lines quote path parameters, and the token is one.
logging.getLogger("aws_lambda_powertools.event_handler").setLevel(logging.INFO)
app = APIGatewayHttpResolver()
if not SETTINGS.csrf_secret:
    # Forms then only verify on this instance: fine for a test, not for AWS.
    logger.warning("ORDERFLOW_CSRF_SECRET is not set; using a per-process key")
desk = ApprovalDesk(
    store_from_url(SETTINGS.store_url),
    LambdaCallbacks(),
    secret=(SETTINGS.csrf_secret or secrets.token_hex(32)).encode(),
    views=approval_views(),
)


def _answer(page: Page, *, head: bool = False) -> Response[str]:
    return Response(
        status_code=page.status,
        content_type=page.content_type,
        body="" if head else page.body,
        headers=page.headers,
    )


@app.get("/approvals/static/approval.css")
def stylesheet() -> Response[str]:
    """The pages' only stylesheet."""
    return _answer(css_page())


@app.get("/approvals/<token>")
def view(token: str) -> Response[str]:
    """The confirmation page: reads, changes nothing."""
    return _answer(desk.view(token))


@app.head("/approvals/<token>")
def check(token: str) -> Response[str]:
    """What GET would answer, without the body: changes nothing."""
    return _answer(desk.view(token), head=True)


@app.route("/approvals/<token>", method="OPTIONS")
def options(token: str) -> Response[str]:
    """The methods this link answers: changes nothing."""
    headers = {**SECURITY_HEADERS, "Allow": "GET, HEAD, OPTIONS, POST"}
    return Response(status_code=204, content_type=None, body="", headers=headers)


@app.post("/approvals/<token>")
def decide(token: str) -> Response[str]:
    """Approve or reject, once."""
    event = app.current_event
    try:
        body = event.decoded_body or ""
    except ValueError:  # bad base64, or bytes that are not UTF-8: not our form
        return _answer(problem(Problem.UNREADABLE))
    if len(body.encode()) > MAX_FORM_BYTES:
        return _answer(problem(Problem.TOO_LARGE))
    try:
        fields = dict(parse_qsl(body, keep_blank_values=True, max_num_fields=20))
    except ValueError:  # too many fields
        return _answer(problem(Problem.TOO_LARGE))
    return _answer(desk.decide(token, fields, _client()))


def _client() -> Client:
    """Who posted, and what the browser says about where from and how."""
    event = app.current_event
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    expected = expected_origin(SETTINGS.public_url, event.request_context.domain_name)
    return Client(
        source_ip=event.request_context.http.source_ip,
        user_agent=headers.get("user-agent", ""),
        cross_site=headers.get("sec-fetch-site") == "cross-site",
        foreign_origin=foreign_origin(headers, expected),
        # Chromium (the one engine sending Sec-CH-UA) sends Sec-Fetch-User: ?1
        # on every navigation a click or key starts; Safari never sends it,
        # and the CLI and curl send neither (docs/approval-links.md).
        user_activated="sec-ch-ua" not in headers
        or headers.get("sec-fetch-user") == "?1",
    )


@app.not_found
def not_found(_: NotFoundError) -> Response[str]:
    """An HTML 404 with the same headers as every page."""
    return _answer(problem(Problem.NOT_FOUND))


def crashed(e: Exception) -> Response[str]:
    """Any other failure: an HTML 500 with the headers, logged by type only.

    Messages are not logged: a service's error text may quote a callback id.
    """
    logger.error("unhandled error", extra={"error": type(e).__name__})
    return _answer(problem(Problem.SYSTEM))


app.exception_handler(Exception)(crashed)


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False
)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point."""
    return with_json_headers(app.resolve(event, context))
