"""POST /returns: check the return against its order, claim its units, start it (202).

A malformed body is refused with 400 naming each failing field; a return its
order does not allow with 404 (unknown order), 409 (order not completed, or
its units held by another return) or 422 (SKU, units, window), each problem
named; nothing is recorded or started for any of them.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from orderflow.adapters.lambda_starter import LambdaWorkflowStarter
from orderflow.adapters.stores import store_from_url
from orderflow.config import Settings
from orderflow.http_errors import (
    accepted,
    json_error,
    refuse_foreign_origin,
    register_error_handlers,
    with_json_headers,
)
from orderflow.parts.validation import request_body
from orderflow.processes.returns import intake
from orderflow.processes.returns.books import UnitsTakenError
from orderflow.processes.returns.model import InvalidReturnError
from orderflow.processes.returns.settings import ReturnSettings

SETTINGS = Settings.from_env()
RETURNS = ReturnSettings.from_env()
logger = Logger(service="orderflow-start-return")
app = APIGatewayHttpResolver()
register_error_handlers(app)
store = store_from_url(SETTINGS.store_url)
starter = LambdaWorkflowStarter(
    os.environ.get("RETURN_WORKFLOW_FUNCTION", "ReturnWorkflowFunction:live")
)


def _ineligible(e: intake.ReturnIneligibleError) -> Response[dict[str, object]]:
    problems = [p.as_dict() for p in e.problems]
    return json_error(HTTPStatus(e.http_status), e.code, str(e), problems=problems)


def _taken(e: UnitsTakenError) -> Response[dict[str, object]]:
    return json_error(HTTPStatus.CONFLICT, "units_taken", str(e), sku=e.sku)


def _conflict(e: intake.ReturnConflictError) -> Response[dict[str, object]]:
    return json_error(HTTPStatus.CONFLICT, "return_conflict", str(e))


app.exception_handler(intake.ReturnIneligibleError)(_ineligible)
app.exception_handler(UnitsTakenError)(_taken)
app.exception_handler(intake.ReturnConflictError)(_conflict)


@app.post("/returns")
def start_return() -> Response[dict[str, Any]]:
    """Accept a return and start its durable execution."""
    refuse_foreign_origin(app, SETTINGS.public_url)
    event = app.current_event
    request = intake.read_return(
        request_body(
            event.body,
            base64_encoded=bool(event.is_base64_encoded),
            error=InvalidReturnError,
        ),
        max_bytes=SETTINGS.max_body_bytes,
    )
    logger.append_keys(return_id=request.return_id, order_id=request.order_id)
    taken = intake.submit(
        request,
        store=store,
        starter=starter,
        settings=RETURNS,
        now=datetime.now(UTC),
    )
    logger.info("return accepted", extra={"duplicate": taken.duplicate})
    return accepted(
        app,
        SETTINGS.public_url,
        path=f"/returns/{taken.return_id}",
        body={"return_id": taken.return_id, "status": taken.status},
        duplicate=taken.duplicate,
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point."""
    return with_json_headers(app.resolve(event, context))
