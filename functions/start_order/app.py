"""POST /orders: validate the body, record the order, start its execution (202).

A malformed body is refused with 400 naming each failing field, before anything
is recorded or started.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from orderflow.adapters.lambda_starter import LambdaWorkflowStarter
from orderflow.adapters.stores import store_from_url
from orderflow.config import Settings
from orderflow.domain.errors import InvalidOrderError
from orderflow.http_errors import (
    accepted,
    refuse_foreign_origin,
    register_error_handlers,
    with_json_headers,
)
from orderflow.parts.validation import request_body
from orderflow.processes.orders import intake

SETTINGS = Settings.from_env()
logger = Logger(service="orderflow-start-order")
app = APIGatewayHttpResolver()
register_error_handlers(app)
store = store_from_url(SETTINGS.store_url)
starter = LambdaWorkflowStarter(SETTINGS.workflow_function)


@app.post("/orders")
def start_order() -> Response[dict[str, Any]]:
    """Accept an order and start its durable execution."""
    refuse_foreign_origin(app, SETTINGS.public_url)
    event = app.current_event
    order = intake.read_order(
        request_body(
            event.body,
            base64_encoded=bool(event.is_base64_encoded),
            error=InvalidOrderError,
        ),
        max_bytes=SETTINGS.max_body_bytes,
    )
    logger.append_keys(order_id=order.order_id)
    taken = intake.submit(
        order, store=store, starter=starter, at=datetime.now(UTC).isoformat()
    )
    logger.info("order accepted", extra={"duplicate": taken.duplicate})
    return accepted(
        app,
        SETTINGS.public_url,
        path=f"/orders/{taken.order_id}",
        body={"order_id": taken.order_id, "status": taken.status},
        duplicate=taken.duplicate,
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point."""
    return with_json_headers(app.resolve(event, context))
