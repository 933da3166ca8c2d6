"""The registry: every process it lists is whole, and the parts find it there."""

from __future__ import annotations

import dataclasses

import pytest

import approval_ui
from orderflow.processes.orders.status import OrderStatus
from orderflow.registry import EXPENSES, ORDERS, PROCESSES, process, process_running


def test_kinds_and_functions_are_unique() -> None:
    assert len({p.kind for p in PROCESSES}) == len(PROCESSES)
    assert len({p.function for p in PROCESSES}) == len(PROCESSES)


@pytest.mark.parametrize("registered", PROCESSES, ids=lambda p: p.kind)
def test_every_asking_process_has_its_partial_template(registered: object) -> None:
    assert dataclasses.is_dataclass(registered)
    view = getattr(registered, "approvals", None)
    if view is not None:
        assert (approval_ui.TEMPLATES / view.template).is_file()


def test_a_process_is_found_by_its_deployed_and_its_local_function_name() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:orderflow-expense-workflow:7"

    assert process_running(arn) is EXPENSES
    assert process_running("OrderWorkflowFunction:live") is ORDERS
    assert process_running("orderflow-order-workflow-v2") is None


def test_an_unknown_kind_names_the_kinds_there_are() -> None:
    with pytest.raises(KeyError, match="'order', 'expense'"):
        process("claim")


def test_a_process_must_declare_the_statuses_the_parts_rely_on() -> None:
    with pytest.raises(ValueError, match="lack"):
        dataclasses.replace(ORDERS, terminal=frozenset({"SHIPPED"}))
    assert ORDERS.is_terminal(OrderStatus.COMPLETED)
    assert not ORDERS.is_terminal(OrderStatus.AWAITING_APPROVAL)
