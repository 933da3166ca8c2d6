"""The sandbox provider: fault strings, injected failures, and its idempotent ledger."""

from __future__ import annotations

import pytest

from orderflow.adapters.sandbox import Fault, SandboxProvider, parse_faults
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.errors import TerminalProviderError, TransientProviderError


def test_fault_string_parses_counts_and_probabilities() -> None:
    faults = parse_faults(
        " payment.capture=2x:transient , inventory.reserve=0.05:terminal,"
    )

    assert faults == {
        "payment.capture": Fault(probability=0.0, first_calls=2, terminal=False),
        "inventory.reserve": Fault(probability=0.05, first_calls=0, terminal=True),
    }


def test_empty_fault_string_means_no_faults() -> None:
    assert parse_faults("") == {}


@pytest.mark.parametrize(
    "part",
    [
        "payment.capture",
        "payment.capture=2x",
        "payment.capture=2x:flaky",
        "payment.capture=twice:transient",
        "payment.capture=x:terminal",
    ],
)
def test_malformed_fault_is_refused_naming_the_part(part: str) -> None:
    with pytest.raises(ValueError, match="ORDERFLOW_FAULTS") as caught:
        parse_faults(f"shipping.create=1x:terminal,{part}")

    assert repr(part) in str(caught.value)


def test_first_n_calls_per_key_fail_transiently_then_succeed(
    store: SqliteStore,
) -> None:
    provider = SandboxProvider(store, "payment.capture=2x:transient")

    for call in (1, 2):
        with pytest.raises(TransientProviderError, match=f"call {call}"):
            provider.capture_payment("O-1", 500, key="O-1:capture")
    effect = provider.capture_payment("O-1", 500, key="O-1:capture")

    assert (effect.provider, effect.action, effect.amount_cents) == (
        "payment",
        "capture",
        500,
    )
    assert [e.idempotency_key for e in store.list_effects("O-1")] == ["O-1:capture"]


def test_failures_are_counted_per_idempotency_key(store: SqliteStore) -> None:
    provider = SandboxProvider(store, "payment.capture=1x:transient")

    with pytest.raises(TransientProviderError):
        provider.capture_payment("O-1", 500, key="O-1:capture")
    with pytest.raises(TransientProviderError):
        provider.capture_payment("O-2", 500, key="O-2:capture")

    assert provider.capture_payment("O-1", 500, key="O-1:capture").amount_cents == 500


def test_terminal_fault_raises_a_terminal_error_and_records_nothing(
    store: SqliteStore,
) -> None:
    provider = SandboxProvider(store, "shipping.create=1x:terminal")

    with pytest.raises(TerminalProviderError):
        provider.create_shipment("O-1", key="O-1:ship")

    assert store.list_effects("O-1") == []


def test_faults_only_hit_their_target(store: SqliteStore) -> None:
    provider = SandboxProvider(store, "payment.capture=5x:terminal")

    provider.reserve_inventory("O-1", 2, key="O-1:reserve")
    provider.refund_payment("O-1", 500, key="O-1:refund")

    assert len(store.list_effects("O-1")) == 2


@pytest.mark.parametrize(("rate", "fails"), [("1.0", True), ("0.0", False)])
def test_probability_faults_follow_their_rate(
    store: SqliteStore, rate: str, fails: bool
) -> None:
    provider = SandboxProvider(store, f"inventory.reserve={rate}:transient", seed=1)
    outcomes = []
    for n in range(20):
        try:
            provider.reserve_inventory("O-1", 1, key=f"O-1:{n}")
            outcomes.append(False)
        except TransientProviderError:
            outcomes.append(True)

    assert outcomes == [fails] * 20


def test_repeating_a_call_with_the_same_key_returns_the_first_effect(
    store: SqliteStore,
) -> None:
    provider = SandboxProvider(store)

    first = provider.capture_payment("O-1", 500, key="O-1:capture")
    again = provider.capture_payment("O-1", 999, key="O-1:capture")

    assert again == first
    assert [e.amount_cents for e in store.list_effects("O-1")] == [500]


def test_undo_calls_book_negative_amounts_and_quantities(store: SqliteStore) -> None:
    provider = SandboxProvider(store)

    provider.reserve_inventory("O-1", 3, key="k1")
    provider.capture_payment("O-1", 700, key="k2")
    provider.create_shipment("O-1", key="k3")
    provider.cancel_shipment("O-1", key="k4")
    provider.refund_payment("O-1", 700, key="k5")
    provider.release_inventory("O-1", 3, key="k6")

    effects = store.list_effects("O-1")
    assert [(e.provider, e.action) for e in effects] == [
        ("inventory", "reserve"),
        ("payment", "capture"),
        ("shipping", "create"),
        ("shipping", "cancel"),
        ("payment", "refund"),
        ("inventory", "release"),
    ]
    assert sum(e.amount_cents for e in effects) == 0
    assert sum(e.quantity for e in effects) == 0
    assert effects[1].reference == "payment-k2"
