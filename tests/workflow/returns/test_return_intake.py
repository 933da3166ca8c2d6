"""The returns' front door: refusals name the problem and start nothing; units race.

Eligibility is checked against the real order's read model and ledger, after
the real order workflow completed it; two returns racing for one unit go
through the real SQLite store in threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orderflow.processes.orders.ledger import Books
from orderflow.processes.returns import intake, steps
from orderflow.processes.returns.books import UnitsTakenError
from orderflow.processes.returns.model import parse_return
from tests.utils.orders import low_risk_order
from tests.workflow.returns.conftest import ReturnHarness, return_body

ONE_BOOK = [{"sku": "BOOK-DDIA", "quantity": 1, "unit_price": "39.99"}]


def _refused(h: ReturnHarness, data: dict[str, Any], **kw: Any) -> Exception:
    with pytest.raises((intake.ReturnIneligibleError, UnitsTakenError)) as caught:
        h.submit(data, **kw)
    assert h.starter.started == []
    assert h.store.get_subject(data["return_id"]) is None
    return caught.value


def test_a_return_of_an_unknown_order_is_404_and_starts_nothing(
    returns: Callable[..., ReturnHarness],
) -> None:
    error = _refused(returns(), return_body("RET-X", "ORD-NONE", ("BOOK-DDIA", 1)))

    assert isinstance(error, intake.ReturnIneligibleError)
    assert (error.http_status, error.code) == (404, "unknown_order")


def test_a_return_of_an_order_not_completed_is_409(
    returns: Callable[..., ReturnHarness],
) -> None:
    h = returns()
    h.store.create_subject("order", "ORD-OPEN", low_risk_order("ORD-OPEN"), at="t")

    error = _refused(h, return_body("RET-X", "ORD-OPEN", ("BOOK-DDIA", 1)))

    assert isinstance(error, intake.ReturnIneligibleError)
    assert (error.http_status, error.code) == (409, "order_not_completed")
    assert "RECEIVED, not COMPLETED" in str(error)


@pytest.mark.parametrize(
    ("line", "code", "field"),
    [
        (("MUG-LAMBDA", 3), "too_many_units", "items.0.quantity"),
        (("HAT-RED", 1), "sku_not_on_order", "items.0.sku"),
    ],
)
def test_a_return_the_order_cannot_hold_is_422_naming_the_field(
    completed_order: Callable[..., dict[str, Any]],
    returns: Callable[..., ReturnHarness],
    line: tuple[str, int],
    code: str,
    field: str,
) -> None:
    completed_order("ORD-I-1")

    error = _refused(returns(), return_body("RET-X", "ORD-I-1", line))

    assert isinstance(error, intake.ReturnIneligibleError)
    assert (error.http_status, error.code) == (422, code)
    assert error.problems[0].field == field


def test_a_return_after_the_window_is_422(
    completed_order: Callable[..., dict[str, Any]],
    returns: Callable[..., ReturnHarness],
) -> None:
    completed_order("ORD-I-2")
    later = datetime.now(UTC) + timedelta(days=31)

    error = _refused(
        returns(), return_body("RET-X", "ORD-I-2", ("BOOK-DDIA", 1)), now=later
    )

    assert isinstance(error, intake.ReturnIneligibleError)
    assert (error.http_status, error.code) == (422, "outside_window")


def test_the_same_return_sent_twice_is_one_return_and_one_execution_name(
    completed_order: Callable[..., dict[str, Any]],
    returns: Callable[..., ReturnHarness],
) -> None:
    completed_order("ORD-I-3")
    h = returns()
    data = return_body("RET-D", "ORD-I-3", ("MUG-LAMBDA", 2))

    first, second = h.submit(data), h.submit(data)

    assert (first.duplicate, second.duplicate) == (False, True)
    assert {name for name, _ in h.starter.started} == {"RET-D"}
    assert {payload for _, payload in h.starter.started} == {
        parse_return(data).model_dump_json()
    }
    with pytest.raises(intake.ReturnConflictError):
        h.submit(data | {"reason": "damaged"})


def test_two_returns_at_once_for_one_unit_accept_one(
    completed_order: Callable[..., dict[str, Any]],
    returns: Callable[..., ReturnHarness],
) -> None:
    completed_order("ORD-I-4", items=ONE_BOOK)
    h = returns()
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def send(return_id: str) -> None:
        start.wait()
        try:
            outcomes[return_id] = h.submit(
                return_body(return_id, "ORD-I-4", ("BOOK-DDIA", 1))
            )
        except (UnitsTakenError, intake.ReturnIneligibleError) as e:
            outcomes[return_id] = e

    workers = [threading.Thread(target=send, args=(r,)) for r in ("RET-A", "RET-B")]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    accepted = [r for r, o in outcomes.items() if isinstance(o, intake.Accepted)]
    refused = [o for o in outcomes.values() if not isinstance(o, intake.Accepted)]
    assert len(accepted) == 1 and len(refused) == 1
    assert "BOOK-DDIA" in str(refused[0])
    assert [name for name, _ in h.starter.started] == accepted


def test_two_returns_of_one_unit_that_both_reach_the_refund_refund_it_once(
    completed_order: Callable[..., dict[str, Any]],
    returns: Callable[..., ReturnHarness],
) -> None:
    completed_order("ORD-I-5", items=ONE_BOOK)
    h = returns()
    events = [return_body(r, "ORD-I-5", ("BOOK-DDIA", 1)) for r in ("RET-A", "RET-B")]
    start = threading.Barrier(2)
    paid: list[dict[str, Any]] = []

    def refund(event: dict[str, Any]) -> None:
        start.wait()
        paid.append(steps.refund(h.deps, event, {}))

    # Past the front door's claim on purpose: only the refund's own cap is left.
    workers = [threading.Thread(target=refund, args=(e,)) for e in events]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    books = Books.from_effects(h.store.list_effects("ORD-I-5"))
    assert books.refunded_cents == books.captured_cents == 39_99
    assert sorted(p["done"] for p in paid) == [False, True]
