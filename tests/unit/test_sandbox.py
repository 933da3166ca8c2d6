"""The sandbox providers: fault strings, injected failures, and idempotent ledgers."""

from __future__ import annotations

import inspect
import re

import pytest

from orderflow.adapters.sandbox import (
    FAULT_TARGETS,
    Fault,
    FaultInjector,
    FaultKind,
    SandboxInventory,
    SandboxPayment,
    SandboxProvider,
    SandboxShipping,
    parse_faults,
)
from orderflow.adapters.sandbox.book import SandboxBook
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.errors import (
    AddressUndeliverableError,
    CardDeclinedError,
    OutOfStockError,
    ProviderThrottledError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    TerminalProviderError,
)


def _actions(store: SqliteStore, order_id: str = "O-1") -> list[tuple[str, int, int]]:
    return [
        (f"{e.provider}.{e.action}", e.amount_cents, e.quantity)
        for e in store.list_effects(order_id)
    ]


# the fault language


def test_fault_string_parses_counts_probabilities_kinds_and_latency() -> None:
    faults = parse_faults(
        " payment.capture=2x:transient , inventory.reserve=0.05:out_of_stock,"
        "payment.capture=1.0:latency:750,shipping.delivery=1x:returned,",
        FAULT_TARGETS,
    )

    assert faults == {
        "payment.capture": (
            Fault(0.0, 2, FaultKind.TRANSIENT),
            Fault(1.0, 0, FaultKind.LATENCY, latency_ms=750),
        ),
        "inventory.reserve": (Fault(0.05, 0, FaultKind.OUT_OF_STOCK),),
        "shipping.delivery": (Fault(0.0, 1, FaultKind.RETURNED),),
    }


def test_latency_without_milliseconds_defaults_to_200() -> None:
    (fault,) = parse_faults("shipping.track=0.5:latency", FAULT_TARGETS)[
        "shipping.track"
    ]

    assert fault.latency_ms == 200


def test_empty_fault_string_means_no_faults() -> None:
    assert parse_faults("", FAULT_TARGETS) == {}


@pytest.mark.parametrize(
    ("part", "why"),
    [
        ("payment.capture", "expected provider.action"),
        ("payment.capture=2x", "expected provider.action"),
        ("payment.capture=2x:flaky", "'flaky' is not a valid FaultKind"),
        ("payment.capture=twice:transient", "expected provider.action"),
        ("payment.capture=x:terminal", "expected provider.action"),
        ("payment.charge=1x:transient", "unknown target 'payment.charge'"),
        ("payment.capture=1x:returned", "returned does not apply"),
        ("shipping.delivery=1x:timeout", "timeout does not apply"),
        ("payment.capture=1.5:transient", "out of range"),
        ("payment.capture=1x:transient:300", "only latency takes"),
    ],
)
def test_malformed_fault_is_refused_naming_the_part(part: str, why: str) -> None:
    with pytest.raises(ValueError, match="ORDERFLOW_FAULTS") as caught:
        parse_faults(f"shipping.create=1x:terminal,{part}", FAULT_TARGETS)

    assert repr(part) in str(caught.value)
    assert why in str(caught.value)


def test_injected_latency_sleeps_for_its_milliseconds() -> None:
    slept: list[float] = []
    injector = FaultInjector(
        parse_faults("payment.capture=2x:latency:300", FAULT_TARGETS),
        sleep=slept.append,
    )

    for _ in range(3):
        injector.fire("payment.capture", "k")

    assert slept == [0.3, 0.3]


# faults on calls


def test_first_n_calls_per_key_fail_transiently_then_succeed(
    store: SqliteStore,
) -> None:
    payment = SandboxProvider(store, "payment.capture=2x:unavailable").payment

    for call in (1, 2):
        with pytest.raises(ProviderUnavailableError, match=f"call {call}"):
            payment.capture("O-1", 500, key="O-1:capture")
    effect = payment.capture("O-1", 500, key="O-1:capture")

    assert (effect.provider, effect.action, effect.amount_cents) == (
        "payment",
        "capture",
        500,
    )
    assert [e.idempotency_key for e in store.list_effects("O-1")] == ["O-1:capture"]


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("unavailable", ProviderUnavailableError),
        ("transient", ProviderUnavailableError),
        ("throttled", ProviderThrottledError),
    ],
)
def test_refused_transient_call_records_nothing(
    store: SqliteStore, kind: str, error: type[Exception]
) -> None:
    inventory = SandboxProvider(store, f"inventory.reserve=1x:{kind}").inventory

    with pytest.raises(error):
        inventory.reserve("O-1", 2, key="O-1:reserve")

    assert store.list_effects("O-1") == []


def test_timeout_acts_then_loses_the_answer_and_the_retry_returns_the_effect(
    store: SqliteStore,
) -> None:
    payment = SandboxProvider(store, "payment.authorize=1x:timeout").payment

    with pytest.raises(ProviderTimeoutError):
        payment.authorize("O-1", 900, key="O-1:authorize")
    assert _actions(store) == [("payment.authorize", 900, 0)]

    again = payment.authorize("O-1", 900, key="O-1:authorize")

    assert again.idempotency_key == "O-1:authorize"
    assert _actions(store) == [("payment.authorize", 900, 0)]


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("inventory.reserve", OutOfStockError),
        ("payment.authorize", CardDeclinedError),
        ("shipping.create", AddressUndeliverableError),
    ],
)
def test_terminal_fault_is_the_providers_own_refusal_and_records_nothing(
    store: SqliteStore, target: str, error: type[TerminalProviderError]
) -> None:
    sandbox = SandboxProvider(store, f"{target}=1x:terminal")
    calls = {
        "inventory.reserve": lambda: sandbox.inventory.reserve("O-1", 1, key="k"),
        "payment.authorize": lambda: sandbox.payment.authorize("O-1", 1, key="k"),
        "shipping.create": lambda: sandbox.shipping.create(
            "O-1", units=1, service="standard", key="k"
        ),
    }

    with pytest.raises(error):
        calls[target]()

    assert store.list_effects("O-1") == []


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("inventory.reserve", OutOfStockError),
        ("payment.capture", CardDeclinedError),
        ("shipping.create", AddressUndeliverableError),
    ],
)
def test_a_key_already_acted_on_gets_its_first_answer_never_a_refusal(
    store: SqliteStore, target: str, error: type[TerminalProviderError]
) -> None:
    # The call acted, then the answer was lost (a crash before the checkpoint,
    # a time-out): the retry with the same key must not be told "declined",
    # or the saga would leave the capture it thinks never happened in place.
    first = SandboxProvider(store, "")
    again = SandboxProvider(store, f"{target}=1.0:terminal")
    calls = {
        "inventory.reserve": lambda p, k: p.inventory.reserve("O-1", 1, key=k),
        "payment.capture": lambda p, k: p.payment.capture("O-1", 1, key=k),
        "shipping.create": lambda p, k: p.shipping.create(
            "O-1", units=1, service="standard", key=k
        ),
    }
    done = calls[target](first, "k")

    assert calls[target](again, "k") == done
    with pytest.raises(error):
        calls[target](again, "another key")
    assert len(store.list_effects("O-1")) == 1


def test_duplicate_fault_applies_the_effect_twice_under_two_keys(
    store: SqliteStore,
) -> None:
    payment = SandboxProvider(store, "payment.capture=1x:duplicate").payment

    payment.capture("O-1", 700, key="O-1:capture")
    payment.capture("O-1", 700, key="O-1:capture")  # a retry: nothing new

    keys = [e.idempotency_key for e in store.list_effects("O-1")]
    assert keys == ["O-1:capture", "O-1:capture#dup"]
    assert _actions(store) == [("payment.capture", 700, 0)] * 2


def test_faults_only_hit_their_target(store: SqliteStore) -> None:
    sandbox = SandboxProvider(store, "payment.capture=5x:terminal")

    sandbox.inventory.reserve("O-1", 2, key="O-1:reserve")
    sandbox.payment.authorize("O-1", 500, key="O-1:authorize")

    assert len(store.list_effects("O-1")) == 2


@pytest.mark.parametrize(("rate", "fails"), [("1.0", True), ("0.0", False)])
def test_probability_faults_follow_their_rate(
    store: SqliteStore, rate: str, fails: bool
) -> None:
    inventory = SandboxProvider(
        store, f"inventory.reserve={rate}:unavailable", seed=1
    ).inventory
    outcomes = []
    for n in range(20):
        try:
            inventory.reserve("O-1", 1, key=f"O-1:{n}")
            outcomes.append(False)
        except ProviderUnavailableError:
            outcomes.append(True)

    assert outcomes == [fails] * 20


# the sandbox's ledger (the port's promises: tests/contract/test_provider_contract.py)


def test_undo_calls_book_negative_amounts_within_what_was_done(
    store: SqliteStore,
) -> None:
    sandbox = SandboxProvider(store)
    sandbox.inventory.reserve("O-1", 3, key="k1")
    sandbox.payment.authorize("O-1", 700, key="k2")
    sandbox.shipping.create("O-1", units=3, service="standard", key="k3")
    sandbox.payment.capture("O-1", 700, key="k4")

    sandbox.shipping.cancel("O-1", "k3", key="k5")
    sandbox.payment.refund("O-1", 10_000, key="k6")  # more than was captured
    assert sandbox.payment.void("O-1", key="k7") is None  # the capture took the hold
    sandbox.inventory.release("O-1", 5, key="k8")  # more than was held

    assert _actions(store) == [
        ("inventory.reserve", 0, 3),
        ("payment.authorize", 700, 0),
        ("shipping.create", 0, 1),
        ("payment.capture", 700, 0),
        ("shipping.cancel", 0, -1),
        ("payment.refund", -700, 0),
        ("inventory.release", 0, -3),
    ]


@pytest.mark.parametrize(
    "provider", [SandboxInventory, SandboxPayment, SandboxShipping], ids=str
)
def test_each_provider_registers_the_fault_targets_of_its_own_calls(
    provider: type[SandboxBook],
) -> None:
    source = inspect.getsource(provider)
    called = set(re.findall(r'self\.(?:call|must)\(\s*"([a-z_]+)"', source))
    fired = set(re.findall(rf'fire\("{provider.provider}\.([a-z_]+)"', source))

    assert provider.fault_targets() == {
        f"{provider.provider}.{action}" for action in called | fired
    }


def test_a_target_no_provider_registers_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown target 'payment\.steal'"):
        parse_faults("payment.steal=1x:transient", FAULT_TARGETS)
