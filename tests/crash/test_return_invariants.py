"""The return's invariants (tests/proofs/return.py) catch what they claim to catch.

The crash matrix reports 0 violations for returns; these show a broken run
would not: a refund made twice by a provider without idempotency, and ledgers
changed by hand (a refund of the wrong amount, stock put back twice, a label
left live, units kept by a cancelled return).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from orderflow.domain.records import Effect
from orderflow.ports import InventoryProvider, PaymentProvider, ShippingProvider
from orderflow.processes.returns.deps import ReturnDeps
from tests.crash.matrix import KillPoint, Run, run_path, violations
from tests.proofs import Path, proof
from tests.proofs.snapshot import Snapshot

RETURNS = proof("return")


@pytest.fixture(scope="module")
def refunded() -> tuple[Path, Snapshot]:
    """The auto-refund path and its clean run."""
    path = RETURNS.path("auto-refund")
    return path, run_path(RETURNS, path).snapshot


@pytest.fixture(scope="module")
def cancelled() -> tuple[Path, Snapshot]:
    """The no-parcel path and its clean run."""
    path = RETURNS.path("no-parcel-void")
    return path, run_path(RETURNS, path).snapshot


def _with(got: Snapshot, *effects: Effect) -> Snapshot:
    return replace(got, effects=got.effects + effects)


def _without(got: Snapshot, action: str) -> Snapshot:
    return replace(got, effects=tuple(e for e in got.effects if e.action != action))


def _one(got: Snapshot, action: str) -> Effect:
    [found] = [e for e in got.effects if e.action == action]
    return found


def test_a_clean_refund_and_a_clean_cancel_break_nothing(
    refunded: tuple[Path, Snapshot], cancelled: tuple[Path, Snapshot]
) -> None:
    for path, clean in (refunded, cancelled):
        assert violations(RETURNS, path, clean, clean) == []


def test_a_wrong_or_second_refund_and_a_second_restock_are_reported(
    refunded: tuple[Path, Snapshot],
) -> None:
    path, clean = refunded
    refund, restock = _one(clean, "refund"), _one(clean, "restock")
    short = replace(refund, amount_cents=refund.amount_cents + 1)
    wrong = replace(
        clean, effects=tuple(short if e is refund else e for e in clean.effects)
    )
    twice = _with(clean, replace(refund, idempotency_key=refund.idempotency_key + "#2"))
    again = replace(restock, idempotency_key=restock.idempotency_key + "#2")

    assert any("not one of" in v for v in violations(RETURNS, path, wrong, clean))
    assert any("not one of" in v for v in violations(RETURNS, path, twice, clean))
    found = violations(RETURNS, path, _with(clean, again, again), clean)
    assert any("restocked 3 of 1 units" in v for v in found), found
    assert any("produced 2 effects" in v for v in found), found


def test_a_cancelled_return_with_a_live_label_or_held_units_is_reported(
    cancelled: tuple[Path, Snapshot],
) -> None:
    path, clean = cancelled
    release = _one(clean, "release")

    live = violations(RETURNS, path, _without(clean, "void_label"), clean)
    held = violations(RETURNS, path, _without(clean, "release"), clean)
    paid = _with(
        clean,
        replace(
            release,
            idempotency_key="RET-CRASH:refund-payment",
            provider="payment",
            action="refund",
            amount_cents=-1,
            quantity=0,
        ),
    )

    assert any("left live" in v for v in live), live
    assert any("still holds" in v for v in held), held
    assert any("refunded 1" in v for v in violations(RETURNS, path, paid, clean))


class ForgetfulRefunds:
    """A payment adapter whose refunds drop the caller's key: each a new effect."""

    def __init__(self, inner: PaymentProvider) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()

    def authorize(self, order_id: str, amount_cents: int, *, key: str) -> Effect:
        """Delegate."""
        return self._inner.authorize(order_id, amount_cents, key=key)

    def capture(self, order_id: str, amount_cents: int, *, key: str) -> Effect:
        """Delegate."""
        return self._inner.capture(order_id, amount_cents, key=key)

    def void(self, order_id: str, *, key: str) -> Effect | None:
        """Delegate."""
        return self._inner.void(order_id, key=key)

    def refund(self, order_id: str, amount_cents: int, *, key: str) -> Effect | None:
        """Refund under a key of its own making, as if ``key`` were never sent."""
        self.calls[key] += 1
        return self._inner.refund(
            order_id, amount_cents, key=f"{key}#call-{self.calls[key]}"
        )


class WithForgetfulRefunds:
    """The providers, with the refund's idempotency taken away."""

    def __init__(self, deps: ReturnDeps) -> None:
        self.inventory: InventoryProvider = deps.provider.inventory
        self.payment: PaymentProvider = ForgetfulRefunds(deps.provider.payment)
        self.shipping: ShippingProvider = deps.provider.shipping


def forgetful(deps: ReturnDeps) -> ReturnDeps:
    """The return's deps with the refund's idempotency taken away."""
    deps.provider = WithForgetfulRefunds(deps)
    return deps


def test_the_checks_catch_a_refund_made_twice_by_a_provider_without_idempotency(
    refunded: tuple[Path, Snapshot],
) -> None:
    path, _ = refunded
    clean: Run = run_path(RETURNS, path, adapt=forgetful)
    [refund] = [b for b in clean.killer.boundaries if b.name == "refund-payment"]
    assert violations(RETURNS, path, clean.snapshot, clean.snapshot) == []

    crashed = run_path(
        RETURNS, path, (refund, KillPoint.BEFORE_CHECKPOINT), adapt=forgetful
    )
    found = violations(RETURNS, path, crashed.snapshot, clean.snapshot)

    assert crashed.killer.fired
    assert any("not one of" in v for v in found), found
    assert any("effects the clean run did not make" in v for v in found), found
