"""Risk scoring inside the workflow: what validate-order records, each route it
takes, what a broken model does, and what a replay never loads."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import InvocationStatus
from aws_durable_execution_sdk_python.serdes import ExtendedTypeSerDes

from orderflow.config import ModelConfig, Settings
from orderflow.parts.readmodel import status_op
from orderflow.processes.orders.operations import Op
from orderflow.processes.orders.status import OrderStatus
from tests.utils.orders import high_risk_order, low_risk_order
from tests.utils.risky import card_testing_order, out_of_range_order, takeover_order
from tests.workflow.conftest import Harness, body, op_names

ROOT = Path(__file__).resolve().parents[2]


def validation_result(result: Any) -> dict[str, Any]:
    """The checkpointed result of validate-order."""
    step = result.get_step(Op.VALIDATE_ORDER)
    assert step.result is not None
    parsed: dict[str, Any] = ExtendedTypeSerDes().deserialize(step.result)
    return parsed


def test_validation_records_score_reasons_model_version_and_checksum(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    model = Settings().model

    result = h.run(low_risk_order("ORD-T-SCORED"))

    risk = validation_result(result)["risk"]
    assert body(result)["status"] == "COMPLETED"
    assert (risk["score"], risk["reasons"], risk["policy_score"]) == (0, [], 0)
    assert risk["model"]["version"] == model.version
    assert risk["model"]["sha256"] == model.sha256
    assert validation_result(result)["route"] == "AUTO_APPROVE"


def test_high_risk_sample_asks_one_approver_showing_score_reasons_and_model(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    arn = h.start(high_risk_order("ORD-T-ASK"))
    h.callback_id(arn)

    (message,) = h.store.list_outbox(subject_id="ORD-T-ASK")
    assert "Risk score: 65/100" in message.body
    assert "- overnight shipping on a 2,899.00 USD order" in message.body
    assert f"Scored by {Settings().model.version}" in message.body
    assert len(h.store.list_approvals(subject_id="ORD-T-ASK")) == 1

    h.decide(arn, approved=True)
    result = h.result(arn)
    assert body(result)["status"] == "COMPLETED"
    assert f"{Op.WAIT_FOR_APPROVAL}-2" not in op_names(result)


def test_order_only_the_model_flags_is_rejected_with_its_reasons(
    harness: Callable[..., Harness],
) -> None:
    h = harness()

    result = h.run(card_testing_order("ORD-T-CARD"))

    assert body(result)["status"] == "REJECTED"
    assert body(result)["reasons"][0] == (
        "23 orders from this customer in the last 24 hours"
    )
    assert validation_result(result)["risk"]["policy_score"] == 0
    assert op_names(result) == [Op.VALIDATE_ORDER, status_op(OrderStatus.REJECTED)]
    assert h.store.list_effects("ORD-T-CARD") == []


def test_account_takeover_is_rejected_naming_the_jump_over_the_median(
    harness: Callable[..., Harness],
) -> None:
    h = harness()

    result = h.run(takeover_order("ORD-T-ATO"))

    assert body(result)["status"] == "REJECTED"
    assert "amount is 14x this customer's median" in body(result)["reasons"]


def test_out_of_distribution_order_waits_for_a_human_instead_of_auto_approving(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    arn = h.start(out_of_range_order("ORD-T-OOD"))
    h.callback_id(arn)

    record = h.store.get_subject("ORD-T-OOD")
    assert record is not None
    assert record.status == OrderStatus.AWAITING_APPROVAL
    (message,) = h.store.list_outbox(subject_id="ORD-T-OOD")
    assert "outside the risk model's training range" in message.body

    h.decide(arn, approved=False, comment="not a hardware shop")
    assert body(h.result(arn))["status"] == "REJECTED"


def test_corrupt_model_fails_the_execution_naming_path_and_expected_checksum(
    harness: Callable[..., Harness], tmp_path: Path
) -> None:
    good = Settings().model
    broken = tmp_path / "risk-model.json"
    broken.write_bytes(Path(good.path).read_bytes()[:-10])
    h = harness(model=ModelConfig(str(broken), good.sha256, good.version))

    result = h.run(low_risk_order("ORD-T-BROKEN"))

    assert result.status is InvocationStatus.FAILED  # the execution, not the order
    assert result.error is not None
    assert str(broken) in str(result.error.message)
    assert f"expected {good.sha256}" in str(result.error.message)
    assert result.get_step(Op.VALIDATE_ORDER).attempt == 1  # not retried
    assert h.store.get_subject("ORD-T-BROKEN") is None  # nothing recorded, no effect


def test_a_resumed_invocation_never_imports_the_model_runtime() -> None:
    probe = subprocess.run(
        [sys.executable, "-m", "tests.workflow.lazy_import_probe"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # The last line: the workflow's own log lines and metrics come before it.
    report = json.loads(probe.stdout.strip().splitlines()[-1])
    runtime = "orderflow.processes.orders.scoring.runtime"

    assert report["status"] == "COMPLETED"
    assert report["calls_before_approval"] == 1
    assert report["calls"] >= 2  # the approval (and any later wait) resumed it
    assert not report["before"][runtime]  # importing the workflow does not load it
    assert report["after_validation"][runtime]  # validating does
    assert not report["after_forgetting"][runtime]
    assert not report["after_replay"][runtime]  # replaying past validation does not
    for phase in ("before", "after_validation", "after_replay"):
        heavy = {m for m, on in report[phase].items() if on and m != runtime}
        assert heavy == set(), f"{phase}: {heavy}"  # serving never loads numpy & co.
