"""The local stack with ORDERFLOW_FAULTS set: orders still complete, once each.

The stack runs the handlers in its own process with the sandbox providers, so the
faults are injected where they would be in AWS; the attempts come from the
execution history the emulator keeps, read through the Lambda API by
``orderflow status ID --json``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from orderflow.processes.orders.operations import Op
from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.utils.orders import low_risk_order

pytestmark = pytest.mark.e2e

# A fault on every provider call; "1x" per idempotency key, so each order's call
# fails (or, for timeout, acts and loses its answer) once, then gets through.
FAULTS = ",".join(
    [
        "inventory.reserve=1x:throttled",
        "payment.authorize=1x:timeout",
        "shipping.create=1x:unavailable",
        "payment.capture=2x:unavailable",
        "shipping.track=1x:throttled",
    ]
)
BATCH = [f"E2E-FAULT-{n}" for n in range(1, 7)]


@pytest.fixture(scope="module")
def faulty_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """A stack of its own, with faults injected into every provider."""
    running = StackProcess(
        tmp_path_factory.mktemp("faulty"), env={"ORDERFLOW_FAULTS": FAULTS}
    )
    running.start()
    yield running
    running.stop()


def test_a_batch_completes_through_faults_with_retries_in_the_history(
    faulty_stack: StackProcess,
) -> None:
    for order_id in BATCH:
        assert faulty_stack.submit(low_risk_order(order_id))[0] == 202

    for order_id in BATCH:
        faulty_stack.wait_for_status(order_id, OrderStatus.COMPLETED, timeout=120)
        steps = faulty_stack.status_json(order_id)["steps"]
        seen = {
            name: (step["attempts"], step["status"], step["errors"])
            for name, step in steps.items()
        }

        assert seen[Op.RESERVE_INVENTORY] == (
            2,
            "SUCCEEDED",
            ["ProviderThrottledError"],
        )
        assert seen[Op.AUTHORIZE_PAYMENT] == (2, "SUCCEEDED", ["ProviderTimeoutError"])
        assert seen[Op.CREATE_SHIPMENT] == (
            2,
            "SUCCEEDED",
            ["ProviderUnavailableError"],
        )
        assert seen[Op.CAPTURE_PAYMENT] == (
            3,
            "SUCCEEDED",
            ["ProviderUnavailableError"] * 2,
        )
        # Polls: one throttled (counted, not failed), in transit, delivered.
        assert seen[Op.WAIT_FOR_DELIVERY] == (3, "SUCCEEDED", [])
        assert steps[Op.RECONCILE_ORDER]["attempts"] == 1


def test_each_key_made_one_effect_and_resubmitting_changes_nothing(
    faulty_stack: StackProcess,
) -> None:
    order = low_risk_order("E2E-FAULT-AGAIN")
    assert faulty_stack.submit(order)[0] == 202
    while_running = faulty_stack.submit(order)
    done = faulty_stack.wait_for_status("E2E-FAULT-AGAIN", OrderStatus.COMPLETED)
    before = faulty_stack.store.list_effects("E2E-FAULT-AGAIN")

    after_completion = faulty_stack.submit(order)

    assert while_running[0] == after_completion[0] == 202
    assert while_running[1]["duplicate"] is after_completion[1]["duplicate"] is True
    assert after_completion[1]["status"] == "COMPLETED"
    assert len(faulty_stack.executions_named("E2E-FAULT-AGAIN")) == 1
    assert faulty_stack.store.list_effects("E2E-FAULT-AGAIN") == before
    keys = Counter(e.idempotency_key for e in before)
    assert set(keys.values()) == {1}
    actions = Counter(f"{e.provider}.{e.action}" for e in before)
    assert actions == Counter(
        {
            "inventory.reserve": 1,
            "payment.authorize": 1,
            "shipping.create": 1,
            "payment.capture": 1,
            "shipping.in_transit": 1,
            "shipping.delivered": 1,
        }
    )
    assert done["detail"]["captured_cents"] == 64_99
