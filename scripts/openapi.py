"""Build docs/openapi.json from template.yaml and the API's pydantic models.

    python scripts/openapi.py           # (re)write docs/openapi.json
    python scripts/openapi.py --check   # exit 1 if docs/openapi.json is stale

Paths come from every ``HttpApi`` event of every function in template.yaml, so
a route added to the template joins the document by itself. ``ROUTE_DOCS`` says
what each route takes and answers, with the models of
orderflow.processes.orders.api_models and
the domain's ``Order``; a route it does not know yet is published with its path
parameters, its function's description and a ``default`` answer, marked
``x-orderflow-undocumented``, until someone describes it here. A test
(tests/unit/test_openapi.py) fails when the file is stale.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from orderflow.local.template import load_template
from orderflow.parts.approvals.links import MAX_COMMENT_CHARS
from orderflow.parts.text import refused_pattern
from orderflow.processes.orders.api_models import (
    ApiError,
    GatewayError,
    Health,
    InvalidOrder,
    OrderAccepted,
    OrderView,
)
from orderflow.processes.orders.order import Order
from orderflow.processes.returns.api_models import (
    InvalidReturn,
    ReturnAccepted,
    ReturnRefused,
    ReturnView,
)
from orderflow.processes.returns.model import ReturnRequest

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "openapi.json"
REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Answer:
    """One documented response: a JSON model, or an HTML page when None."""

    status: int
    description: str
    model: type[BaseModel] | None = None
    media: str = "text/html"


@dataclass(frozen=True)
class RouteDoc:
    """What a route takes and answers."""

    summary: str
    answers: tuple[Answer, ...]
    body: type[BaseModel] | None = None
    description: str = ""
    form: dict[str, Any] | None = None  # the schema of a form-encoded body


# What GET (and HEAD) answer for a link: every one an HTML page.
_LINK_PAGES = (
    Answer(200, "The confirmation page: the order, its risk, the decision form."),
    Answer(400, "A damaged (tampered) token."),
    Answer(404, "A token nobody was sent."),
    Answer(409, "Decided already."),
    Answer(
        410,
        "Expired (the time to decide has passed) or closed (the subject ended"
        " outside its workflow): nothing is recorded.",
    ),
)

_FOREIGN_ORIGIN = "Sent by a web page of another origin (its Origin header)."

ROUTE_DOCS: dict[str, RouteDoc] = {
    "POST /orders": RouteDoc(
        summary="Submit an order",
        description=(
            "Validates the order, records it and starts its durable execution, "
            "named after the order id. Sending the same order again answers 202 "
            "with duplicate=true and starts nothing; the same id with another "
            "body is refused with 409. A refused order starts nothing."
        ),
        body=Order,
        answers=(
            Answer(202, "Accepted: the execution is starting.", OrderAccepted),
            Answer(400, "Not JSON, or not a valid order.", InvalidOrder),
            Answer(403, _FOREIGN_ORIGIN, ApiError),
            Answer(409, "The order id is taken by another order.", ApiError),
            Answer(
                413,
                "Over ORDERFLOW_MAX_BODY_BYTES (64 KiB by default), or over the "
                "gateway's 10 MiB.",
                GatewayError,
            ),
        ),
    ),
    "GET /orders/{order_id}": RouteDoc(
        summary="Read an order",
        description="Its status and history, its ledger of effects, its approvals.",
        answers=(
            Answer(200, "The order.", OrderView),
            Answer(404, "No order with this id.", ApiError),
        ),
    ),
    "POST /returns": RouteDoc(
        summary="Ask to return items of a completed order",
        description=(
            "Checked against the order before anything starts: only a COMPLETED "
            "order, only SKUs on it, at most the units delivered and not already "
            "returned or being returned, within the return window. The units are "
            "held, then the return's durable execution starts, named after the "
            "return id; the same return sent again answers 202 with "
            "duplicate=true and starts nothing."
        ),
        body=ReturnRequest,
        answers=(
            Answer(202, "Accepted: the execution is starting.", ReturnAccepted),
            Answer(400, "Not JSON, or not a valid return.", InvalidReturn),
            Answer(403, _FOREIGN_ORIGIN, ApiError),
            Answer(404, "No such order.", ReturnRefused),
            Answer(
                409,
                "The order is not completed, another return holds the units, or "
                "the return id is taken by another request.",
                ReturnRefused,
            ),
            Answer(413, "Over ORDERFLOW_MAX_BODY_BYTES.", GatewayError),
            Answer(422, "The order does not allow this return.", ReturnRefused),
        ),
    ),
    "GET /returns/{return_id}": RouteDoc(
        summary="Read a return",
        description="Its status and history, its effects, its approvals.",
        answers=(
            Answer(200, "The return.", ReturnView),
            Answer(404, "No return with this id.", ApiError),
        ),
    ),
    "GET /health": RouteDoc(
        summary="Liveness",
        description="The function runs and reaches its store.",
        answers=(Answer(200, "Healthy.", Health),),
    ),
    **{
        f"{method} /approvals/{{token}}": RouteDoc(
            summary=summary,
            description=(
                "Public: the token in the link is the credential "
                "(docs/approval-links.md). Changes nothing."
            ),
            answers=_LINK_PAGES,
        )
        for method, summary in (
            ("GET", "The approval page of one link"),
            ("HEAD", "What GET answers, without the page"),
        )
    },
    "OPTIONS /approvals/{token}": RouteDoc(
        summary="The methods a link answers",
        description="Changes nothing; the Allow header lists the methods.",
        answers=(Answer(204, "No content."),),
    ),
    "POST /approvals/{token}": RouteDoc(
        summary="Approve or reject, once",
        description=(
            "With the CSRF value of the page GET served. The first decision on "
            "a link completes the workflow's callback; any later one gets the "
            "already-decided page. A browser that reports user activation "
            "(Chromium) and reports none for this POST gets the confirmation "
            "page again (400), decided nothing. Every answer is an HTML page."
        ),
        form={
            "type": "object",
            "required": ["decision", "csrf"],
            "properties": {
                "decision": {"enum": ["approve", "reject"]},
                "csrf": {"type": "string"},
                "comment": {
                    "type": "string",
                    "maxLength": MAX_COMMENT_CHARS,
                    "pattern": refused_pattern(multiline=True),
                },
            },
        },
        answers=(
            Answer(200, "Recorded: the result page."),
            *_LINK_PAGES[1:],
            Answer(
                403,
                "No CSRF value, a wrong one, a cross-site form, or an Origin that "
                "is not the page's.",
            ),
            Answer(409, "Decided already (a second click, or another approver)."),
            Answer(413, "The form is too large."),
            Answer(503, "The decision could not be passed on; nothing recorded."),
        ),
    ),
    "GET /approvals/static/approval.css": RouteDoc(
        summary="The approval pages' stylesheet",
        answers=(Answer(200, "The stylesheet.", media="text/css"),),
    ),
}


@dataclass(frozen=True)
class Route:
    """One HttpApi event of the template."""

    method: str
    path: str
    operation_id: str
    function: str
    function_description: str

    @property
    def key(self) -> str:
        """``METHOD /path``, as API Gateway names the route."""
        return f"{self.method} {self.path}"


def template_routes(template: Path) -> list[Route]:
    """Every HttpApi event of every function, in template order."""
    routes = []
    for logical_id, resource in load_template(template)["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties", {})
        for event_id, event in props.get("Events", {}).items():
            if event.get("Type") != "HttpApi":
                continue
            routes.append(
                Route(
                    method=str(event["Properties"]["Method"]).upper(),
                    path=str(event["Properties"]["Path"]),
                    operation_id=event_id,
                    function=logical_id,
                    function_description=str(props.get("Description", "")),
                )
            )
    return routes


def _schemas() -> tuple[dict[Any, Any], dict[str, Any]]:
    """JSON Schemas of every model ROUTE_DOCS names, refs into components."""
    keys: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for doc in ROUTE_DOCS.values():
        if doc.body is not None:
            keys.append((doc.body, "validation"))
        keys += [(a.model, "serialization") for a in doc.answers if a.model]
    refs, definitions = models_json_schema(list(dict.fromkeys(keys)), ref_template=REF)
    return refs, definitions.get("$defs", {})


def _parameters(path: str) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "minLength": 1},
        }
        for name in re.findall(r"\{(\w+)\}", path)
    ]


def _operation(route: Route, refs: dict[Any, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "tags": [route.function],
    }
    if route.path.count("{"):
        operation["parameters"] = _parameters(route.path)
    doc = ROUTE_DOCS.get(route.key)
    if doc is None:
        operation["summary"] = route.function_description or route.key
        operation["description"] = (
            "Not described in scripts/openapi.py ROUTE_DOCS yet: its request and "
            "answers are unspecified."
        )
        operation["x-orderflow-undocumented"] = True
        operation["responses"] = {"default": {"description": "Not described yet."}}
        return operation
    operation["summary"] = doc.summary
    operation["description"] = doc.description
    if doc.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[doc.body, "validation"]}},
        }
    if doc.form is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": doc.form}},
        }
    operation["responses"] = {
        str(answer.status): _response(answer, refs) for answer in doc.answers
    }
    return operation


def _response(answer: Answer, refs: dict[Any, Any]) -> dict[str, Any]:
    if answer.status == 204:
        return {"description": answer.description}
    if answer.model is None:
        media = {answer.media: {"schema": {"type": "string"}}}
    else:
        media = {"application/json": {"schema": refs[answer.model, "serialization"]}}
    return {"description": answer.description, "content": media}


def build(template: Path = ROOT / "template.yaml") -> dict[str, Any]:
    """The OpenAPI 3.1 document of the template's HTTP API."""
    refs, definitions = _schemas()
    paths: dict[str, dict[str, Any]] = {}
    for route in template_routes(template):
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "orderflow HTTP API",
            "version": version("orderflow"),
            "description": (
                "Generated by scripts/openapi.py from template.yaml and "
                "orderflow/processes/orders/api_models.py; do not edit by hand. "
                "Deployed with "
                "ApiAuth=IAM (the default), every request but the approval "
                "page's is signed with SigV4; with ApiAuth=JWT it carries a "
                "bearer token from the stack's JwtIssuer; the local stack asks "
                "for neither."
            ),
        },
        "servers": [
            {"url": "http://127.0.0.1:3000", "description": "the local stack"},
            {
                "url": "https://{apiId}.execute-api.{region}.amazonaws.com",
                "description": "deployed (the stack's ApiUrl output)",
                "variables": {
                    "apiId": {"default": "example"},
                    "region": {"default": "us-east-1"},
                },
            },
        ],
        "paths": paths,
        "components": {
            "schemas": definitions,
            "securitySchemes": {
                "sigv4": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "description": "AWS SigV4 (ApiAuth=IAM).",
                },
                "jwt": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": (
                        "A token from JwtIssuer for one of JwtAudience (ApiAuth=JWT)."
                    ),
                },
            },
        },
    }


def render(document: dict[str, Any]) -> str:
    """The document as the file holds it."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write docs/openapi.json, or with --check report whether it is stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if stale")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=str(OUTPUT))
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    args = parser.parse_args(argv)
    text = render(build(args.template))
    if args.check:
        if not args.output.exists() or args.output.read_text() != text:
            sys.stderr.write(f"{args.output} is stale: run python scripts/openapi.py\n")
            return 1
        return 0
    args.output.write_text(text)
    sys.stdout.write(f"wrote {args.output}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
