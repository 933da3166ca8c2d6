"""GET /orders/{order_id}, GET /returns/{return_id}: read models; GET /health."""

from __future__ import annotations

from dataclasses import asdict
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from orderflow.adapters.stores import store_from_url
from orderflow.config import Settings
from orderflow.http_errors import (
    json_error,
    register_error_handlers,
    with_json_headers,
)
from orderflow.parts.readmodel import subject_answer
from orderflow.processes.returns.answer import return_answer
from orderflow.registry import ORDERS

SETTINGS = Settings.from_env()
logger = Logger(service="orderflow-order-status")
app = APIGatewayHttpResolver()
register_error_handlers(app)
store = store_from_url(SETTINGS.store_url)


@app.get("/health")
def health() -> dict[str, str]:
    """Liveness: the function runs and reaches its store."""
    store.get_subject("health-check")
    return {"status": "ok"}


@app.get("/orders/<order_id>")
def get_order(order_id: str) -> Response[dict[str, Any]]:
    """The order's status, history and effects."""
    record = store.get_subject(order_id)
    if record is None or record.kind != ORDERS.kind:
        return json_error(HTTPStatus.NOT_FOUND, "not_found", f"no order {order_id}")
    body = subject_answer(store, record)
    body["effects"] = [asdict(e) for e in store.list_effects(order_id)]
    return Response(
        status_code=HTTPStatus.OK, content_type="application/json", body=body
    )


@app.get("/returns/<return_id>")
def get_return(return_id: str) -> Response[dict[str, Any]]:
    """The return's status, history, approvals and effects."""
    body = return_answer(store, return_id)
    if body is None:
        missing = f"no return {return_id}"
        return json_error(HTTPStatus.NOT_FOUND, "not_found", missing)
    return Response(
        status_code=HTTPStatus.OK, content_type="application/json", body=body
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point."""
    return with_json_headers(app.resolve(event, context))
