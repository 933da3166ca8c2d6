"""Environment variables: what the template sets against what the code reads.

"Reads" is found from the code itself: each handler's import closure within
this project (followed statically, lazy imports included), the variable names
those modules pass to ``env.get`` / ``_int(env, ...)`` / ``os.environ`` /
``getenv``, and the Powertools utilities the handler module instantiates
(a Logger reads its service and level, Metrics its namespace and service).
"""

from __future__ import annotations

import ast
import importlib
import re
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.shared import constants as powertools

from tests.utils.template import ROOT, Stack

STACK = Stack()
FUNCTIONS = STACK.functions()
SHARED = set(
    STACK.template["Globals"]["Function"].get("Environment", {}).get("Variables", {})
)
ENV_READ = re.compile(
    r"""(?:\benv(?:iron)?\.get\(|\bgetenv\(|\benviron\[|\b_int\(\s*env,)\s*"""
    r"""["']([A-Z][A-Z0-9_]+)["']"""
)
LIBRARY_READS = {
    Logger: {
        powertools.SERVICE_NAME_ENV,
        powertools.POWERTOOLS_LOG_LEVEL_ENV,
        powertools.POWERTOOLS_LOG_LEVEL_LEGACY_ENV,  # LOG_LEVEL, still read
    },
    Metrics: {powertools.METRICS_NAMESPACE_ENV, powertools.SERVICE_NAME_ENV},
}


def module_file(name: str) -> Path | None:
    """The source file of a project module, if ``name`` is one."""
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def handler_module(logical_id: str) -> str:
    """``functions.<dir>.app`` from the function's CodeUri and Handler."""
    props = FUNCTIONS[logical_id]
    return ".".join(
        [*Path(props["CodeUri"]).parts, props["Handler"].rpartition(".")[0]]
    )


@cache
def closure(root: str) -> frozenset[Path]:
    """Every project source file ``root`` imports, directly or not, lazily or not."""
    seen: set[Path] = set()
    todo = [root]
    while todo:
        path = module_file(todo.pop())
        if path is None or path in seen:
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                todo += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                todo.append(node.module)
                todo += [f"{node.module}.{alias.name}" for alias in node.names]
    return frozenset(p for p in seen if p.parts[len(ROOT.parts)] != "tests")


def code_reads(logical_id: str) -> set[str]:
    """Variables the project's own code reads, in this function's closure."""
    return {
        name
        for path in closure(handler_module(logical_id))
        for name in ENV_READ.findall(path.read_text())
    }


def library_reads(
    logical_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> set[str]:
    """Variables the Powertools utilities the handler module creates read."""
    monkeypatch.setenv("ORDERFLOW_STORE", f"sqlite:{tmp_path / 'env.db'}")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    name = handler_module(logical_id)
    saved = sys.modules.pop(name, None)
    try:
        module: ModuleType = importlib.import_module(name)
        utilities = {type(v) for v in vars(module).values()}
    finally:
        sys.modules.pop(name, None)
        if saved is not None:
            sys.modules[name] = saved
    return {
        var
        for kind, names in LIBRARY_READS.items()
        if kind in utilities
        for var in names
    }


def own(logical_id: str) -> set[str]:
    """Variables the function sets itself (not through Globals)."""
    return set(FUNCTIONS[logical_id].get("Environment", {}).get("Variables", {}))


def test_env_read_pattern_finds_the_forms_the_code_uses() -> None:
    source = """
        env.get("A_ONE", x); os.environ.get('B_TWO'); os.environ["C_THREE"]
        getenv("D_FOUR"); _int(
            env,
            "E_FIVE", 3); env.get(name); other.get("NOT_ENV_X")
    """
    assert set(ENV_READ.findall(source)) == {
        "A_ONE",
        "B_TWO",
        "C_THREE",
        "D_FOUR",
        "E_FIVE",
    }


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_each_variable_a_function_sets_itself_is_read_by_its_code(
    logical_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = code_reads(logical_id) | library_reads(logical_id, tmp_path, monkeypatch)

    unread = own(logical_id) - read

    assert not unread, f"{logical_id} sets variables its code never reads: {unread}"


def test_every_global_variable_is_read_by_some_function(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = set().union(
        *(code_reads(f) | library_reads(f, tmp_path, monkeypatch) for f in FUNCTIONS)
    )

    assert SHARED - read == set(), "Globals set variables no function reads"


def test_every_variable_the_code_reads_is_set_by_the_template() -> None:
    read = set().union(*(code_reads(f) for f in FUNCTIONS))
    set_anywhere = SHARED.union(*(own(f) for f in FUNCTIONS))

    assert read - set_anywhere == set(), "read by the code, never set"
    assert "ORDERFLOW_STORE" in read  # the scan sees Settings.from_env


def test_the_approvals_check_runs_as_often_as_the_function_is_told() -> None:
    props = FUNCTIONS["StatusEventsFunction"]
    schedule = props["Events"]["ApprovalsCheck"]["Properties"]["Schedule"]
    minutes = re.fullmatch(r"rate\((\d+) minutes\)", schedule)

    assert minutes is not None, schedule
    seconds = props["Environment"]["Variables"]["ORDERFLOW_APPROVAL_CHECK_SECONDS"]
    assert int(minutes.group(1)) * 60 == int(seconds)


def test_every_durable_function_logs_at_the_stacks_log_level() -> None:
    durable = [f for f, props in FUNCTIONS.items() if "DurableConfig" in props]
    levels = {f: own_value(f, "POWERTOOLS_LOG_LEVEL") for f in durable}

    assert durable
    assert levels == {f: {"Ref": "LogLevel"} for f in durable}
    assert STACK.template["Parameters"]["LogLevel"]["Default"] == "INFO"


def own_value(logical_id: str, name: str) -> object:
    """The value the function sets ``name`` to itself, if it does."""
    return FUNCTIONS[logical_id].get("Environment", {}).get("Variables", {}).get(name)
