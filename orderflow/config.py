"""Every tunable in one place: a named setting, its default, its environment variable.

Read once at import by the handlers (``SETTINGS``); tests build their own
``Settings`` with explicit values instead of patching the environment.

The risk routing thresholds, the approver directory and the model artifact's
name and checksum default to models/routing.json, which ``make train`` writes
from the model card. models/ sits beside the package in a checkout and in the
Lambda layer alike (layer.mk); ORDERFLOW_MODEL_DIR points elsewhere.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orderflow.processes.orders.routing import RoutingPolicy

if TYPE_CHECKING:
    from collections.abc import Mapping


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as e:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from e


MODEL_DIR = Path(__file__).resolve().parents[1] / "models"
ROUTING_FILE = "routing.json"


@dataclass(frozen=True)
class ModelConfig:
    """The risk model artifact the validation step loads, and its sha256."""

    path: str
    sha256: str
    version: str


@dataclass(frozen=True)
class RoutingFile:
    """models/routing.json: thresholds, approvers and the model they suit."""

    policy: RoutingPolicy
    approvers: tuple[str, ...]
    model: ModelConfig


@functools.cache
def read_routing_file(directory: Path = MODEL_DIR) -> RoutingFile:
    """Read ``directory``/routing.json (once per process).

    Raises:
        ValueError: the file is missing or malformed; the message names it.
    """
    path = directory / ROUTING_FILE
    try:
        data: Any = json.loads(path.read_text())
        thresholds = data["thresholds"]
        return RoutingFile(
            policy=RoutingPolicy(
                one_approver_from=int(thresholds["one_approver_from"]),
                two_approvers_from=int(thresholds["two_approvers_from"]),
                reject_from=int(thresholds["reject_from"]),
                two_approvers_value_cents=int(data["two_approvers_value_cents"]),
            ),
            approvers=tuple(str(a) for a in data["approvers"]),
            model=ModelConfig(
                path=str(directory / data["model"]["artifact"]),
                sha256=str(data["model"]["sha256"]),
                version=str(data["model"]["version"]),
            ),
        )
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"routing config {path} is missing or malformed: {e!r}") from e


def _file(env: Mapping[str, str] | None = None) -> RoutingFile:
    directory = (env or {}).get("ORDERFLOW_MODEL_DIR")
    return read_routing_file(Path(directory) if directory else MODEL_DIR)


@dataclass(frozen=True)
class Settings:
    """The application's configuration."""

    # Where the read model, approvals, outbox and ledger live:
    # sqlite:///abs/path.db | sqlite:relative.db | dynamodb://TABLE
    store_url: str = "sqlite:.local/orderflow.db"
    # The orchestrator as start_order invokes it: name:alias, or the alias ARN.
    workflow_function: str = "OrderWorkflowFunction:live"
    # Base URL of the HTTP API, for status URLs and links in emails.
    public_url: str = "http://127.0.0.1:3000"
    # How long one approver has to decide before the request times out.
    approval_timeout_seconds: int = 24 * 3600
    # Who approves, in escalation order.
    approvers: tuple[str, ...] = field(default_factory=lambda: _file().approvers)
    # Monitoring (functions/status_events): the SNS topic for alerts (empty: the
    # store's outbox), how old a pending approval gets before someone is told,
    # how often the check runs (the template's schedule rate, in seconds), and
    # how late a run may start (delivery and retries; template.yaml says why).
    alert_topic_arn: str = ""
    approval_alert_after_seconds: int = 4 * 3600
    approval_check_seconds: int = 15 * 60
    approval_check_delay_seconds: int = 0
    # Sender address for approval emails through SES; empty keeps them in the outbox.
    mail_from: str = ""
    # Key of the approval form's CSRF HMAC (a secret: kept out of repr).
    csrf_secret: str = field(default="", repr=False)
    # Fault injection for the sandbox provider, e.g. "payment.capture=2x:transient".
    faults: str = ""
    # Largest POST /orders body accepted, in bytes.
    max_body_bytes: int = 64 * 1024
    routing: RoutingPolicy = field(default_factory=lambda: _file().policy)
    # The risk model artifact and the checksum it must have.
    model: ModelConfig = field(default_factory=lambda: _file().model)
    # Polling for delivery after the shipment: the first delay, the longest delay
    # (doubling in between, with jitter), and how long to keep polling before the
    # order is failed as not delivered. template.yaml's ExecutionTimeout counts
    # two windows (a re-shipment polls again): raise it with the window.
    delivery_poll_seconds: int = 2
    delivery_poll_max_seconds: int = 3600
    delivery_window_seconds: int = 7 * 24 * 3600
    # The sandbox carrier moves a parcel one stage per tracking call, no sooner
    # than this after its previous stage; 0 lets every call move it on.
    sandbox_stage_seconds: int = 0

    def __post_init__(self) -> None:
        if self.approval_timeout_seconds < 1:
            raise ValueError(
                "ORDERFLOW_APPROVAL_TIMEOUT_SECONDS must be at least 1, "
                f"got {self.approval_timeout_seconds}"
            )
        for name, value, least in (
            ("ORDERFLOW_DELIVERY_POLL_SECONDS", self.delivery_poll_seconds, 1),
            (
                "ORDERFLOW_DELIVERY_POLL_MAX_SECONDS",
                self.delivery_poll_max_seconds,
                self.delivery_poll_seconds,
            ),
            ("ORDERFLOW_DELIVERY_WINDOW_SECONDS", self.delivery_window_seconds, 1),
            ("ORDERFLOW_SANDBOX_STAGE_SECONDS", self.sandbox_stage_seconds, 0),
            (
                "ORDERFLOW_APPROVAL_ALERT_AFTER_SECONDS",
                self.approval_alert_after_seconds,
                1,
            ),
            ("ORDERFLOW_APPROVAL_CHECK_SECONDS", self.approval_check_seconds, 1),
            (
                "ORDERFLOW_APPROVAL_CHECK_DELAY_SECONDS",
                self.approval_check_delay_seconds,
                0,
            ),
        ):
            if value < least:
                raise ValueError(f"{name} must be at least {least}, got {value}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from environment variables, each falling back to its default."""
        env = os.environ if env is None else env
        file = _file(env)
        default = cls(approvers=file.approvers, routing=file.policy, model=file.model)
        approvers = tuple(
            a.strip()
            for a in env.get("ORDERFLOW_APPROVERS", "").split(",")
            if a.strip()
        )
        return cls(
            store_url=env.get("ORDERFLOW_STORE", default.store_url),
            workflow_function=env.get(
                "ORDER_WORKFLOW_FUNCTION", default.workflow_function
            ),
            public_url=env.get("ORDERFLOW_PUBLIC_URL", default.public_url).rstrip("/"),
            approval_timeout_seconds=_int(
                env,
                "ORDERFLOW_APPROVAL_TIMEOUT_SECONDS",
                default.approval_timeout_seconds,
            ),
            approvers=approvers or default.approvers,
            alert_topic_arn=env.get("ORDERFLOW_ALERT_TOPIC_ARN", ""),
            approval_alert_after_seconds=_int(
                env,
                "ORDERFLOW_APPROVAL_ALERT_AFTER_SECONDS",
                default.approval_alert_after_seconds,
            ),
            approval_check_seconds=_int(
                env, "ORDERFLOW_APPROVAL_CHECK_SECONDS", default.approval_check_seconds
            ),
            approval_check_delay_seconds=_int(
                env,
                "ORDERFLOW_APPROVAL_CHECK_DELAY_SECONDS",
                default.approval_check_delay_seconds,
            ),
            mail_from=env.get("ORDERFLOW_MAIL_FROM", default.mail_from),
            csrf_secret=env.get("ORDERFLOW_CSRF_SECRET", default.csrf_secret),
            faults=env.get("ORDERFLOW_FAULTS", default.faults),
            max_body_bytes=_int(
                env, "ORDERFLOW_MAX_BODY_BYTES", default.max_body_bytes
            ),
            routing=RoutingPolicy(
                one_approver_from=_int(
                    env, "ORDERFLOW_ONE_APPROVER_FROM", file.policy.one_approver_from
                ),
                two_approvers_from=_int(
                    env, "ORDERFLOW_TWO_APPROVERS_FROM", file.policy.two_approvers_from
                ),
                reject_from=_int(env, "ORDERFLOW_REJECT_FROM", file.policy.reject_from),
                two_approvers_value_cents=file.policy.two_approvers_value_cents,
            ),
            model=file.model,
            delivery_poll_seconds=_int(
                env, "ORDERFLOW_DELIVERY_POLL_SECONDS", default.delivery_poll_seconds
            ),
            delivery_poll_max_seconds=_int(
                env,
                "ORDERFLOW_DELIVERY_POLL_MAX_SECONDS",
                default.delivery_poll_max_seconds,
            ),
            delivery_window_seconds=_int(
                env,
                "ORDERFLOW_DELIVERY_WINDOW_SECONDS",
                default.delivery_window_seconds,
            ),
            sandbox_stage_seconds=_int(
                env, "ORDERFLOW_SANDBOX_STAGE_SECONDS", default.sandbox_stage_seconds
            ),
        )
