"""Validate template.yaml offline, one line per check; exit 1 if any check fails.

Run it with the SAM tools' Python (``.venv-sam/bin/python``): aws-sam-cli pins an
older boto3 than the durable SDK needs, so the tools live in their own venv.

``sam validate --lint`` lints the SAM template, but neither it nor SAM sees an
out-of-range DurableConfig or a circular dependency there. So the template is
also translated to CloudFormation here, offline (no AWS calls), once for each
value of ApiAuth (JWT with an example issuer and audience), and that
CloudFormation is linted and checked too:

1. ``sam validate --lint``: cfn-lint's rules on the SAM template.
2. ``sam validate --language-extensions``: SAM's translator, through the CLI.
3. For ApiAuth=IAM, JWT and NONE: the template's Fn::If resolved as
   AWS::LanguageExtensions would, then ``samtranslator``'s transform with a
   managed-policy loader stub instead of IAM ListPolicies.
4. cfn-lint on each translated template (cycles, types, ranges, references).
5. DurableConfig ranges: ExecutionTimeout 1..31622400, RetentionPeriodInDays
   1..90, or a Ref to a parameter whose MinValue/MaxValue lie in that range.
6. The orchestrator outlives its approvals: ExecutionTimeout exceeds two rounds
   of the largest ApprovalTimeoutSeconds the template allows.
7. No IAM statement allows a dynamodb, lambda, sns, sqs or kms action (or "*")
   on Resource "*".
8. No policy statement (roles and resource policies) allows "*" or "service:*";
   callback completion and execution reads are scoped to ``function:NAME:*`` of
   a durable function; and every durable function's callbacks and history are
   granted to the approval page and the monitor (scripts/iam_checks.py).

The translated templates are left in .aws-sam/translated/ for checkov.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from iam_checks import (
    check_callback_scope,
    check_durable_grants,
    check_no_wildcard_actions,
    check_read_scope,
)

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"  # a dummy: nothing here talks to AWS

EXECUTION_TIMEOUT_RANGE = (1, 31_622_400)
RETENTION_DAYS_RANGE = (1, 90)
APPROVAL_ROUNDS = 2
# Managed policies SAM attaches by name; any the template lists are added.
SAM_MANAGED_POLICIES = (
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaBasicDurableExecutionRolePolicy",
    "AWSXRayDaemonWriteAccess",
    "AWSXrayWriteOnlyAccess",
)
GUARDED_ACTIONS = ("dynamodb:", "lambda:", "sns:", "sqs:", "kms:")
TRANSLATED_DIR = ROOT / ".aws-sam" / "translated"
PACKAGED_PROPERTY = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}
# Resolving the Fn::If consumes the only use of UseIamAuth; the source
# template's lint (check 1) still reports conditions that are really unused.
TRANSLATED_LINT_IGNORES = ("W8001",)
# The parameters of each translation: every value of ApiAuth, JWT with an
# issuer and audiences of the shapes a Cognito user pool gives.
API_AUTH_PARAMETERS: dict[str, dict[str, str]] = {
    "IAM": {"ApiAuth": "IAM"},
    "JWT": {
        "ApiAuth": "JWT",
        "JwtIssuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
        "JwtAudience": "orders-client,returns-client",
    },
    "NONE": {"ApiAuth": "NONE"},
}
# AWS::LanguageExtensions functions that resolve_ifs() does not implement.
UNSUPPORTED_EXTENSIONS = ("Fn::ForEach", "Fn::Length", "Fn::ToJsonString")

Template = dict[str, Any]
Problems = list[str]
_NO_VALUE = object()


class PolicyLoaderStub:
    """Stands in for samtranslator's ManagedPolicyLoader (IAM ListPolicies)."""

    def __init__(self, names: set[str]) -> None:
        self._map = {n: f"arn:aws:iam::aws:policy/{n}" for n in names}

    def load(self) -> dict[str, str]:
        """Policy name to ARN, for every name the template may use."""
        return self._map


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def tool(name: str) -> str:
    """An executable installed beside this Python (the SAM venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise FileNotFoundError(
            f"{name} is neither beside {sys.executable} nor on PATH"
        )
    return found


def run(argv: list[str]) -> Problems:
    """Run a command; its output lines as problems if it fails."""
    env = os.environ | {"SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": REGION}
    done = subprocess.run(  # noqa: S603 - a fixed argv, no shell
        argv, capture_output=True, text=True, env=env, cwd=ROOT, check=False
    )
    if done.returncode == 0:
        return []
    lines = (done.stdout + done.stderr).splitlines()
    return [line for line in lines if line.strip()] or [f"exit {done.returncode}"]


def load_sam_template() -> Template:
    """template.yaml as data, short tags (!Ref, !Sub...) in their long form."""
    from samcli.yamlhelper import yaml_parse

    template: Template = yaml_parse(TEMPLATE.read_text())
    return template


def policy_names(template: Template) -> set[str]:
    """Managed policy names the functions list, plus the ones SAM adds itself."""
    names = set(SAM_MANAGED_POLICIES)
    for resource in template.get("Resources", {}).values():
        policies = _as_list(resource.get("Properties", {}).get("Policies", []))
        names.update(p for p in policies if isinstance(p, str))
    return names


def as_packaged(template: Template) -> Template:
    """``template`` with local code paths replaced by S3 URIs, as sam package does."""
    packaged = copy.deepcopy(template)
    for logical_id, resource in packaged.get("Resources", {}).items():
        props = resource.get("Properties", {})
        key = PACKAGED_PROPERTY.get(resource.get("Type", ""))
        if key and isinstance(props.get(key), str) and "://" not in props[key]:
            props[key] = f"s3://orderflow-validate/{logical_id}.zip"
    return packaged


def condition_holds(
    template: Template, expression: Any, parameters: dict[str, Any]
) -> bool:
    """Evaluate a condition (by name or expression) against parameter values."""
    if isinstance(expression, str):
        expression = template["Conditions"][expression]
    ((function, args),) = expression.items()
    if function == "Condition":
        return condition_holds(template, args, parameters)
    if function == "Fn::Equals":
        left, right = (
            parameters[a["Ref"]] if isinstance(a, dict) and set(a) == {"Ref"} else a
            for a in args
        )
        return str(left) == str(right)
    holds = [condition_holds(template, a, parameters) for a in args]
    if function == "Fn::Not":
        return not holds[0]
    if function == "Fn::And":
        return all(holds)
    if function == "Fn::Or":
        return any(holds)
    raise ValueError(f"condition function {function} is not supported here")


def resolve_ifs(template: Template, node: Any, parameters: dict[str, Any]) -> Any:
    """``node`` with every Fn::If replaced by its chosen branch, as
    AWS::LanguageExtensions does before the SAM transform; a branch of
    AWS::NoValue removes the property or list item."""
    if isinstance(node, list):
        items = (resolve_ifs(template, n, parameters) for n in node)
        return [n for n in items if n is not _NO_VALUE]
    if not isinstance(node, dict):
        return node
    if unsupported := [k for k in node if k.startswith(UNSUPPORTED_EXTENSIONS)]:
        raise ValueError(f"{unsupported[0]} needs the full AWS::LanguageExtensions")
    if set(node) == {"Fn::If"}:
        name, if_true, if_false = node["Fn::If"]
        chosen = if_true if condition_holds(template, name, parameters) else if_false
        return resolve_ifs(template, chosen, parameters)
    if node == {"Ref": "AWS::NoValue"}:
        return _NO_VALUE
    resolved = {k: resolve_ifs(template, v, parameters) for k, v in node.items()}
    return {k: v for k, v in resolved.items() if v is not _NO_VALUE}


def translate(template: Template, overrides: dict[str, str]) -> Template:
    """The CloudFormation that deploying with the parameter values ``overrides``
    (the defaults for the others) would create.

    Of AWS::LanguageExtensions only Fn::If is applied: it is all the template
    needs it for, and the SAM CLI's local implementation also turns an Outputs
    ``Fn::Sub`` that names a resource into a literal string.
    """
    from samtranslator.translator.transform import transform

    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)  # for the pseudo parameters
    parameters = {
        name: spec["Default"]
        for name, spec in template.get("Parameters", {}).items()
        if "Default" in spec
    } | overrides
    fragment = as_packaged(template)
    transforms = _as_list(fragment.get("Transform", []))
    if "AWS::LanguageExtensions" in transforms:
        for section in ("Globals", "Resources", "Outputs"):
            if section in fragment:
                fragment[section] = resolve_ifs(template, fragment[section], parameters)
        fragment["Transform"] = [
            t for t in transforms if t != "AWS::LanguageExtensions"
        ]
    loader = PolicyLoaderStub(policy_names(template))
    translated: Template = transform(fragment, parameters, loader)  # type: ignore[arg-type]
    return translated


def cfn_lint(translated: Template) -> Problems:
    """cfn-lint's findings on translated CloudFormation, written to a temp file."""
    with tempfile.TemporaryDirectory(prefix="orderflow-cfn-") as tmp:
        path = Path(tmp) / "template.json"
        path.write_text(json.dumps(translated, indent=1))
        ignores = ["--ignore-checks", *TRANSLATED_LINT_IGNORES]
        return run([tool("cfn-lint"), "--regions", REGION, *ignores, "--", str(path)])


def durable_configs(template: Template) -> Iterator[tuple[str, Any]]:
    """Every DurableConfig: in Globals, SAM functions and Lambda functions."""
    in_globals = template.get("Globals", {}).get("Function", {})
    if "DurableConfig" in in_globals:
        yield "Globals.Function", in_globals["DurableConfig"]
    for logical_id, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if "DurableConfig" in props:
            yield logical_id, props["DurableConfig"]


def check_range(
    template: Template, where: str, value: Any, bounds: tuple[int, int]
) -> Problems:
    """A whole number in ``bounds``, or a Ref to a parameter bounded within them."""
    low, high = bounds
    if isinstance(value, dict) and set(value) == {"Ref"}:
        name = value["Ref"]
        param = template.get("Parameters", {}).get(name)
        if param is None:
            return [f"{where}: Ref to {name}, which is no parameter"]
        lo, hi = param.get("MinValue"), param.get("MaxValue")
        if lo is None or hi is None:
            return [f"{where}: parameter {name} needs MinValue and MaxValue"]
        if not low <= int(lo) <= int(hi) <= high:
            return [f"{where}: {name} allows {lo}..{hi}, Lambda {low}..{high}"]
        return []
    if isinstance(value, bool) or not isinstance(value, int | str):
        return [f"{where}: {value!r} is neither a number nor a Ref to a parameter"]
    try:
        number = int(value)
    except ValueError:
        return [f"{where}: {value!r} is not a whole number"]
    return [] if low <= number <= high else [f"{where}: {number} not in {low}..{high}"]


def check_durable_config(
    template: Template, translated: dict[str, Template]
) -> Problems:
    """DurableConfig within Lambda's limits, in the source and every translation."""
    problems: Problems = []
    found = 0
    sources = {"template.yaml": template} | {
        f"translated (ApiAuth={api_auth})": cfn for api_auth, cfn in translated.items()
    }
    for label, source in sources.items():
        for where, config in durable_configs(source):
            found += 1
            if not isinstance(config, dict) or "ExecutionTimeout" not in config:
                problems.append(
                    f"{label}: {where}: DurableConfig needs ExecutionTimeout"
                )
                continue
            for key, bounds in (
                ("ExecutionTimeout", EXECUTION_TIMEOUT_RANGE),
                ("RetentionPeriodInDays", RETENTION_DAYS_RANGE),
            ):
                if key in config:
                    where_key = f"{label}: {where}.{key}"
                    problems += check_range(template, where_key, config[key], bounds)
    return problems if found else ["no DurableConfig found"]


def check_execution_outlives_approvals(template: Template) -> Problems:
    """ExecutionTimeout > rounds x the largest ApprovalTimeoutSeconds allowed."""
    param = template.get("Parameters", {}).get("ApprovalTimeoutSeconds", {})
    approval = param.get("MaxValue", param.get("Default"))
    if approval is None:
        return ["ApprovalTimeoutSeconds has neither MaxValue nor Default"]
    need = APPROVAL_ROUNDS * int(approval)
    problems = [
        f"{where}.ExecutionTimeout {config.get('ExecutionTimeout')!r} must exceed "
        f"{APPROVAL_ROUNDS} x {approval} = {need}"
        for where, config in durable_configs(template)
        if not isinstance(config.get("ExecutionTimeout"), int)
        or config["ExecutionTimeout"] <= need
    ]
    return problems


def iam_statements(translated: Template) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every statement of the roles', policies' and managed policies' documents."""
    for logical_id, resource in translated.get("Resources", {}).items():
        kind, props = resource.get("Type"), resource.get("Properties", {})
        if kind == "AWS::IAM::Role":
            documents = [p.get("PolicyDocument", {}) for p in props.get("Policies", [])]
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents = [props.get("PolicyDocument", {})]
        else:
            continue
        for document in documents:
            for statement in _as_list(document.get("Statement", [])):
                yield logical_id, statement


def check_no_wildcard_resources(translated: Template) -> Problems:
    """No Allow of a dynamodb:/lambda: action, or of "*", on Resource "*"."""
    problems: Problems = []
    for logical_id, statement in iam_statements(translated):
        resources = _as_list(statement.get("Resource", []))
        if statement.get("Effect") != "Allow" or "*" not in resources:
            continue
        actions = [
            a for a in _as_list(statement.get("Action", [])) if isinstance(a, str)
        ]
        wide = [a for a in actions if a == "*" or a.lower().startswith(GUARDED_ACTIONS)]
        if wide:
            problems.append(f"{logical_id}: {', '.join(wide)} on Resource '*'")
    return problems


def report(name: str, check: Callable[[], Problems]) -> bool:
    """Run one check and print its line, then its problems; True if it passed."""
    try:
        problems = check()
    except Exception as e:  # a crashed check is a failed check, not a traceback
        problems = [f"{type(e).__name__}: {e}"]
    print(f"{'FAIL' if problems else 'ok  '} {name}")  # noqa: T201
    for problem in problems:
        print(f"       {problem}")  # noqa: T201
    return not problems


def _sources(template: Template, translated: dict[str, Template]) -> dict[str, Any]:
    """The source template and each translation, by label."""
    return {"template.yaml": template} | {
        f"translated (ApiAuth={api_auth})": cfn for api_auth, cfn in translated.items()
    }


def main() -> int:
    """Run every check; 0 if all passed."""
    os.environ["SAM_CLI_TELEMETRY"] = "0"
    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    sam = ["validate", "--region", REGION, "--template", str(TEMPLATE)]
    results = [
        report("sam validate --lint", lambda: run([tool("sam"), *sam, "--lint"])),
        report(
            "sam validate --language-extensions",
            lambda: run([tool("sam"), *sam, "--language-extensions"]),
        ),
    ]
    template = load_sam_template()
    translated: dict[str, Template] = {}
    for api_auth, overrides in API_AUTH_PARAMETERS.items():

        def translate_into(
            api_auth: str = api_auth, overrides: dict[str, str] = overrides
        ) -> Problems:
            translated[api_auth] = translate(template, overrides)
            return []

        name = f"samtranslator transform, offline (ApiAuth={api_auth})"
        results.append(report(name, translate_into))
    for api_auth, cfn in translated.items():
        name = f"cfn-lint on the translated template (ApiAuth={api_auth})"
        results.append(report(name, lambda cfn=cfn: cfn_lint(cfn)))
    results += [
        report(
            "DurableConfig ranges", lambda: check_durable_config(template, translated)
        ),
        report(
            "ExecutionTimeout outlives two approval rounds",
            lambda: check_execution_outlives_approvals(template),
        ),
        report(
            'no dynamodb/lambda/sns/sqs/kms IAM actions on Resource "*"',
            lambda: (
                [
                    f"ApiAuth={api_auth}: {problem}"
                    for api_auth, cfn in translated.items()
                    for problem in check_no_wildcard_resources(cfn)
                ]
                if translated
                else ["no translated template to check"]
            ),
        ),
    ]
    results += [
        report(
            'no policy statement allows "*" or "service:*" actions',
            lambda: [
                f"{label}: {problem}"
                for label, source in _sources(template, translated).items()
                for problem in check_no_wildcard_actions(source)
            ],
        ),
        report(
            "callback completion scoped to function:NAME:* of a durable function",
            lambda: [
                f"{label}: {problem}"
                for label, source in _sources(template, translated).items()
                for problem in check_callback_scope(source)
            ],
        ),
        report(
            "execution reads scoped to function:NAME:* of a durable function",
            lambda: [
                f"{label}: {problem}"
                for label, source in _sources(template, translated).items()
                for problem in check_read_scope(source)
            ],
        ),
        report(
            "every durable function's callbacks and history granted where needed",
            lambda: [
                f"{label}: {problem}"
                for label, source in _sources(template, translated).items()
                for problem in check_durable_grants(source)
            ],
        ),
    ]
    TRANSLATED_DIR.mkdir(parents=True, exist_ok=True)
    for api_auth, cfn in translated.items():
        path = TRANSLATED_DIR / f"template.ApiAuth-{api_auth}.json"
        path.write_text(json.dumps(cfn, indent=1))
    failed = results.count(False)
    print(f"{len(results) - failed}/{len(results)} checks passed")  # noqa: T201
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
