"""template.yaml as data, with its intrinsics resolved as one deployed stack would.

Tests that compare the template with the code need values, not ``!Sub``: what
environment a function gets, which ARN a policy names, what an alarm watches.
``Stack`` resolves Ref, Fn::Sub, Fn::GetAtt, Fn::Join and Fn::If (with the
template's Conditions; ``AWS::NoValue`` drops the value) against parameter
defaults, pseudo parameters and made-up physical names that follow AWS's
shapes (the same account and region as moto's, so moto resources line up).
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import logging
import re
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from orderflow.local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"
STACK, REGION, ACCOUNT = "orderflow", "us-east-1", "123456789012"
PSEUDO = {
    "AWS::StackName": STACK,
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}


def key_id(logical_id: str) -> str:
    """A KMS key's made-up id, one per key."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kms/{logical_id}"))


_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")
NO_VALUE = object()  # what ``!Ref AWS::NoValue`` gives: the key or item is dropped


def load() -> dict[str, Any]:
    """template.yaml, short tags in their long form."""
    return load_template(TEMPLATE_PATH)


def load_script(name: str) -> ModuleType:
    """scripts/<name>.py as a module (scripts/ is no package; its modules
    import each other by name, as when run from there)."""
    scripts = str(ROOT / "scripts")
    if scripts not in sys.path:
        sys.path.append(scripts)
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def _translated(parameters: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    validate = load_script("validate_template")
    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    translated: dict[str, Any] = validate.translate(load(), dict(parameters))
    return translated


def translated(parameters: dict[str, str]) -> dict[str, Any]:
    """The CloudFormation that SAM's translator makes of template.yaml with
    these parameter values (the defaults for the others), offline: the
    translation scripts/validate_template.py lints and checkov scans. A copy:
    change it freely."""
    return copy.deepcopy(_translated(tuple(sorted(parameters.items()))))


@dataclass
class Stack:
    """One imagined deployment of the template."""

    template: dict[str, Any] = field(default_factory=load)
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def resources(self) -> dict[str, Any]:
        """The template's resources by logical id."""
        resources: dict[str, Any] = self.template["Resources"]
        return resources

    def functions(self) -> dict[str, dict[str, Any]]:
        """Every AWS::Serverless::Function's properties by logical id."""
        return {
            k: r.get("Properties", {})
            for k, r in self.resources.items()
            if r["Type"] == "AWS::Serverless::Function"
        }

    def parameter(self, name: str) -> str:
        """A parameter's value: an override, else its default."""
        if name in self.parameters:
            return self.parameters[name]
        spec = self.template["Parameters"][name]
        default = spec.get("Default", "")
        return ",".join(default) if isinstance(default, list) else str(default)

    def physical_name(self, logical_id: str) -> str:
        """The name CloudFormation would give the resource (fixed ones resolved)."""
        props = self.resources.get(logical_id, {}).get("Properties", {})
        for key in ("FunctionName", "TableName", "QueueName", "AlarmName"):
            if key in props:
                return str(self.resolve(props[key]))
        return f"{STACK}-{logical_id}-TEST"

    def ref(self, name: str) -> Any:
        """What ``!Ref name`` gives."""
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.template.get("Parameters", {}):
            spec = self.template["Parameters"][name]
            value = self.parameter(name)
            return (
                value.split(",") if spec["Type"].startswith("CommaDelimited") else value
            )
        kind = self.resources.get(name, {}).get("Type", "")
        if kind == "AWS::SNS::Topic":
            return self.get_att(name, "TopicArn")
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.physical_name(name)}"
        if kind == "AWS::KMS::Key":
            return key_id(name)
        return self.physical_name(name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        """What ``!GetAtt logical_id.attribute`` gives."""
        kind = self.resources.get(logical_id, {}).get("Type", "")
        name = self.physical_name(logical_id)
        prefix = f"{REGION}:{ACCOUNT}"
        if logical_id.removesuffix("Role") in self.functions():
            return self.role_arn(logical_id.removesuffix("Role"))
        arns = {
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
            "AWS::SNS::Topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}",
            "AWS::KMS::Key": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id(logical_id)}",
            "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}",
            "AWS::CloudWatch::Alarm": f"arn:aws:cloudwatch:{prefix}:alarm:{name}",
            "AWS::Serverless::Function": (
                f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
            ),
        }
        if attribute == "QueueName":
            return name
        # SAM's generated resources (e.g. a function's EventBridge rule).
        return arns.get(kind, f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}")

    def role_arn(self, function_id: str) -> str:
        """The ARN of the role SAM makes for a function (``<id>Role``)."""
        return f"arn:aws:iam::{ACCOUNT}:role/{STACK}-{function_id}Role-TEST"

    def resolve(self, node: Any) -> Any:
        """``node`` with every intrinsic function replaced by its value."""
        if isinstance(node, list):
            items = [self.resolve(n) for n in node]
            return [i for i in items if i is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Fn::If"}:
            name, then, otherwise = node["Fn::If"]
            return self.resolve(then if self.condition(name) else otherwise)
        if set(node) == {"Ref"}:
            return self.ref(node["Ref"])
        if set(node) == {"Fn::GetAtt"}:
            target = node["Fn::GetAtt"]
            logical_id, attribute = (
                target.split(".", 1) if isinstance(target, str) else target
            )
            return self.get_att(logical_id, attribute)
        if set(node) == {"Fn::Sub"}:
            return self._sub(node["Fn::Sub"])
        if set(node) == {"Fn::Join"}:
            separator, items = node["Fn::Join"]
            values = self.resolve(items)
            flat = [
                v
                for item in values
                for v in (item if isinstance(item, list) else [item])
            ]
            return separator.join(map(str, flat))
        resolved = {k: self.resolve(v) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def condition(self, name: str) -> bool:
        """The value of one of the template's Conditions."""
        return self._truth(self.template["Conditions"][name])

    def _truth(self, node: dict[str, Any]) -> bool:
        ((function, args),) = node.items()
        if function == "Condition":
            return self.condition(args)
        if function == "Fn::Equals":
            left, right = (self.resolve(a) for a in args)
            return bool(left == right)
        if function == "Fn::Not":
            return not self._truth(args[0])
        if function == "Fn::And":
            return all(self._truth(a) for a in args)
        if function == "Fn::Or":
            return any(self._truth(a) for a in args)
        raise ValueError(f"unsupported condition function {function}")

    def _sub(self, spec: Any) -> str:
        text, variables = (spec[0], spec[1]) if isinstance(spec, list) else (spec, {})

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return str(self.ref(name))

        return _SUB_VAR.sub(value, text)

    def environment(self, logical_id: str) -> dict[str, str]:
        """The function's environment: Globals' variables, then its own."""
        shared = self.template.get("Globals", {}).get("Function", {})
        own = self.functions()[logical_id]
        variables = {
            **shared.get("Environment", {}).get("Variables", {}),
            **own.get("Environment", {}).get("Variables", {}),
        }
        return {k: str(self.resolve(v)) for k, v in variables.items()}

    def statements(self, logical_id: str) -> list[dict[str, Any]]:
        """The function's own policy statements (SAM's managed policies aside)."""
        policies = self.resolve(self.functions()[logical_id].get("Policies", []))
        return [
            statement
            for policy in (policies if isinstance(policies, list) else [policies])
            if isinstance(policy, dict)
            for statement in policy.get("Statement", [])
        ]
