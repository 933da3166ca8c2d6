"""What ``GET /returns/{return_id}`` answers: the read model and the return's effects.

The route itself joins functions/order_status/app.py together with its
template.yaml event (the template guard refuses a resolver route that API
Gateway never sends):

    @app.get("/returns/<return_id>")
    def get_return(return_id: str) -> Response[dict[str, Any]]:
        body = return_answer(store, return_id)
        if body is None:
            missing = f"no return {return_id}"
            return json_error(HTTPStatus.NOT_FOUND, "not_found", missing)
        return Response(HTTPStatus.OK, "application/json", body)
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from orderflow.parts.readmodel import subject_answer
from orderflow.ports import Store
from orderflow.processes.returns.approval import KIND
from orderflow.processes.returns.books import return_effects


def return_answer(store: Store, return_id: str) -> dict[str, Any] | None:
    """The return's status, history, approvals and effects; None unless a return."""
    record = store.get_subject(return_id)
    if record is None or record.kind != KIND:
        return None
    body = subject_answer(store, record)
    order_id = str(record.body.get("order_id", ""))
    effects = return_effects(store.list_effects(order_id), return_id)
    body["effects"] = [asdict(e) for e in effects]
    return body
