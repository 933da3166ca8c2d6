"""Read the functions, their handlers and their HTTP routes from template.yaml.

The local stack runs exactly what the template deploys: no second list of
handlers to drift from the first.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orderflow.monitoring.events import STATUS_CHANGE

# The local stack's stand-in for ${AWS::StackName}: `sam deploy`'s default name.
STACK_NAME = "orderflow"


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that keeps CloudFormation's short tags (!Ref, !Sub...) as dicts."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {key: value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_template(path: Path) -> dict[str, Any]:
    """The template as plain data, short tags turned into their long form."""
    data: dict[str, Any] = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506
    return data


@dataclass(frozen=True)
class RouteSpec:
    """One HTTP API route: method, path template and its regex."""

    method: str
    path: str
    pattern: re.Pattern[str] = field(compare=False)

    @classmethod
    def of(cls, method: str, path: str) -> RouteSpec:
        """Compile ``/orders/{order_id}`` into a matcher with named groups."""
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
        return cls(method.upper(), path, re.compile(f"^{regex}$"))

    @property
    def route_key(self) -> str:
        """API Gateway's route key, e.g. ``GET /orders/{order_id}``."""
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class FunctionSpec:
    """One function of the template, as the local stack runs it."""

    logical_id: str
    module: str
    attribute: str
    durable: bool
    execution_timeout: int
    retention_days: int
    routes: tuple[RouteSpec, ...]
    # An EventBridge rule feeds it Lambda's durable execution status changes.
    status_changes: bool = False
    # The name it is deployed under (FunctionName), and its aliases.
    function_name: str = ""
    aliases: tuple[str, ...] = ()
    handler_name: str = ""
    description: str = ""
    runtime: str = ""
    timeout: int = 3
    memory_size: int = 128

    def load_handler(self) -> Callable[[Any, Any], Any]:
        """Import the handler module and return its entry point."""
        handler: Callable[[Any, Any], Any] = getattr(
            importlib.import_module(self.module), self.attribute
        )
        return handler


def _default(template: dict[str, Any], value: Any, fallback: int) -> int:
    if isinstance(value, dict) and "Ref" in value:
        param = template.get("Parameters", {}).get(value["Ref"], {})
        return int(param.get("Default", fallback))
    return int(value) if value is not None else fallback


def _takes_status_changes(event: dict[str, Any]) -> bool:
    """True for an EventBridge rule matching ``Durable Execution Status Change``."""
    if event.get("Type") != "EventBridgeRule":
        return False
    kinds = event.get("Properties", {}).get("Pattern", {}).get("detail-type", [])
    return STATUS_CHANGE in kinds


def deployed_name(value: Any, logical_id: str, stack_name: str) -> str:
    """The function's name once deployed as ``stack_name``.

    ``!Sub ${AWS::StackName}-order-workflow`` gives ``orderflow-order-workflow``;
    a function with no FunctionName gets CloudFormation's ``STACK-LogicalId-SUFFIX``
    without the random suffix, which only CloudFormation can know.
    """
    if value is None:
        return f"{stack_name}-{logical_id}"
    text = value.get("Fn::Sub") if isinstance(value, dict) else value
    if not isinstance(text, str):
        raise ValueError(f"{logical_id}: FunctionName {value!r} is not a name or !Sub")
    return text.replace("${AWS::StackName}", stack_name)


def read_functions(
    template_path: Path, stack_name: str = STACK_NAME
) -> dict[str, FunctionSpec]:
    """Every AWS::Serverless::Function in the template, by logical id."""
    template = load_template(template_path)
    defaults = template.get("Globals", {}).get("Function", {})
    functions: dict[str, FunctionSpec] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = {**defaults, **resource.get("Properties", {})}
        code_uri = str(props["CodeUri"]).strip("/")
        module_file, _, attribute = str(props["Handler"]).rpartition(".")
        module = ".".join([*Path(code_uri).parts, module_file])
        durable = props.get("DurableConfig")
        routes = tuple(
            RouteSpec.of(event["Properties"]["Method"], event["Properties"]["Path"])
            for event in props.get("Events", {}).values()
            if event.get("Type") == "HttpApi"
        )
        functions[logical_id] = FunctionSpec(
            logical_id=logical_id,
            module=module,
            attribute=attribute,
            durable=durable is not None,
            execution_timeout=_default(
                template, (durable or {}).get("ExecutionTimeout"), 900
            ),
            retention_days=_default(
                template, (durable or {}).get("RetentionPeriodInDays"), 14
            ),
            routes=routes,
            status_changes=any(
                _takes_status_changes(e) for e in props.get("Events", {}).values()
            ),
            function_name=deployed_name(
                props.get("FunctionName"), logical_id, stack_name
            ),
            aliases=(str(props["AutoPublishAlias"]),)
            if props.get("AutoPublishAlias")
            else (),
            handler_name=str(props["Handler"]),
            description=str(props.get("Description", "")),
            runtime=str(props.get("Runtime", "")),
            timeout=int(props.get("Timeout", 3)),
            memory_size=int(props.get("MemorySize", 128)),
        )
    return functions
