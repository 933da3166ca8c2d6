"""A function as template.yaml deploys it, on moto's AWS, with its output read back.

``deployed(...)`` imports a handler module afresh under the environment the
template gives the function (Globals, then its own variables), after creating
on moto the table and topic that environment names. Lambda's durable APIs are
not in moto: callers stub them with botocore's Stubber.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orderflow.adapters.dynamodb_store import table_definition
from tests.utils.template import ACCOUNT, REGION, Stack


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that Powertools reads."""

    function_name: str = "orderflow-status-events"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = (
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orderflow-status-events"
    )
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Metric:
    """One metric value from an EMF blob."""

    namespace: str
    name: str
    dimensions: dict[str, str]
    value: float


@dataclass
class Output:
    """A handler's stdout: JSON log lines and EMF metric blobs."""

    logs: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Output:
        """Split stdout into log records and metrics."""
        out = cls()
        for line in filter(None, (raw.strip() for raw in text.splitlines())):
            record = json.loads(line)
            if "_aws" not in record:
                out.logs.append(record)
                continue
            for directive in record["_aws"]["CloudWatchMetrics"]:
                names = [d for group in directive["Dimensions"] for d in group]
                dims = {d: str(record[d]) for d in names}
                for metric in directive["Metrics"]:
                    for value in _as_list(record[metric["Name"]]):
                        out.metrics.append(
                            Metric(directive["Namespace"], metric["Name"], dims, value)
                        )
        return out

    def value(self, name: str, **dimensions: str) -> float:
        """The one value of metric ``name`` with exactly these extra dimensions."""
        (found,) = [
            m.value
            for m in self.metrics
            if m.name == name
            and {k: v for k, v in m.dimensions.items() if k != "service"} == dimensions
        ]
        return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass
class Deployed:
    """A handler module running in moto under its template environment."""

    module: ModuleType
    env: dict[str, str]
    session: boto3.Session
    queue_url: str | None = None

    def alerts_received(self) -> list[dict[str, Any]]:
        """SNS envelopes delivered to the queue subscribed to the alerts topic."""
        assert self.queue_url is not None
        sqs = self.session.client("sqs")
        got = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in got.get("Messages", [])]


def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and moto's region, never a real profile."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@contextmanager
def deployed(
    logical_id: str, monkeypatch: pytest.MonkeyPatch, stack: Stack | None = None
) -> Iterator[Deployed]:
    """Import ``logical_id``'s handler on moto with the template's environment."""
    stack = stack or Stack()
    props = stack.functions()[logical_id]
    env = stack.environment(logical_id)
    aws_credentials(monkeypatch)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    module_file = props["Handler"].rpartition(".")[0]
    module_name = ".".join([*props["CodeUri"].strip("/").split("/"), module_file])
    saved = sys.modules.pop(module_name, None)
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        store_url = env.get("ORDERFLOW_STORE", "")
        if store_url.startswith("dynamodb://"):
            table = store_url.removeprefix("dynamodb://")
            session.client("dynamodb").create_table(**table_definition(table))
        _reset_powertools_loggers()
        running = Deployed(importlib.import_module(module_name), env, session)
        _log_to_current_stdout()
        if topic_arn := env.get("ORDERFLOW_ALERT_TOPIC_ARN"):
            running.queue_url = _subscribe_queue(session, topic_arn)
        try:
            yield running
        finally:
            sys.modules.pop(module_name, None)
            if saved is not None:
                sys.modules[module_name] = saved


def _reset_powertools_loggers() -> None:
    """Forget Powertools' configuration of the project's loggers.

    A Logger re-created for a logger already configured keeps the first
    handler (and the stdout it had then), so a re-imported handler module would
    log to an earlier test's stream, with keys appended elsewhere.
    """
    for name, existing in logging.Logger.manager.loggerDict.items():
        if name.startswith("orderflow") and isinstance(existing, logging.Logger):
            existing.handlers.clear()
            for attribute in ("init", "powertools_handler"):
                if hasattr(existing, attribute):
                    delattr(existing, attribute)


class _CurrentStdout:
    """A stream that writes to whatever sys.stdout is now (capsys swaps it)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def _log_to_current_stdout() -> None:
    """Send the project's Powertools log handlers to the current sys.stdout."""
    for name, existing in logging.Logger.manager.loggerDict.items():
        if name.startswith("orderflow") and isinstance(existing, logging.Logger):
            for handler in existing.handlers:
                if isinstance(handler, logging.StreamHandler):
                    handler.stream = _CurrentStdout()


def _subscribe_queue(session: boto3.Session, topic_arn: str) -> str:
    """Create the topic the template names and subscribe a queue to it."""
    sns, sqs = session.client("sns"), session.client("sqs")
    created = sns.create_topic(Name=topic_arn.rsplit(":", 1)[1])["TopicArn"]
    assert created == topic_arn, "moto's account and region differ from the stack's"
    queue_url = sqs.create_queue(QueueName="on-call")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return str(queue_url)
