"""The crash matrix, reduced to a sample, and proof its checks catch a double effect.

Every registered process's paths run (tests/proofs/<kind>.py).

``python -m tests.crash.matrix --full`` runs every boundary (docs/crash-matrix.md).
"""

from __future__ import annotations

from collections import Counter

from orderflow.domain.records import Effect
from orderflow.ports import (
    InventoryProvider,
    PaymentProvider,
    Providers,
    ShippingProvider,
)
from orderflow.processes.orders.deps import Deps
from orderflow.processes.orders.ledger import Books
from orderflow.registry import PROCESSES
from tests.crash.matrix import (
    REDUCED_RUNS_PER_PATH,
    KillPoint,
    run_matrix,
    run_path,
    table,
    violations,
)
from tests.proofs import proof, proofs

ORDER = proof("order")
# The order's workflow has 102 boundaries over its eight paths; a path that
# lost its boundaries (a broken enumeration) must not pass as "no violations".
MIN_RUNS = 56


def test_a_sample_of_the_crash_matrix_keeps_every_invariant() -> None:
    reports = run_matrix(runs_per_path=REDUCED_RUNS_PER_PATH)

    assert [(r.kind, r.path.name) for r in reports] == [
        (p.kind, path.name) for p in proofs() for path in p.paths
    ]
    assert {r.kind for r in reports} == {p.kind for p in PROCESSES}
    for p in proofs():
        found = [b for r in reports if r.kind == p.kind for b in r.boundaries]
        assert len(found) >= p.min_boundaries, (p.kind, len(found))
    assert sum(r.runs for r in reports if r.kind == "order") >= MIN_RUNS
    assert all(r.runs >= min(len(r.boundaries), 4) for r in reports)
    assert [v for r in reports for v in r.violations] == [], table(reports)


def test_a_recovery_killed_too_keeps_every_invariant() -> None:
    chosen = [(ORDER, ORDER.path(n)) for n in ("approve", "compensate", "reship")]
    expense = proof("expense")
    chosen.append((expense, expense.path("approved")))

    reports = run_matrix(chosen, runs_per_path=4, again=True)

    assert all(r.killed_twice == r.runs >= 4 for r in reports), table(reports)
    assert [v for r in reports for v in r.violations] == [], table(reports)


class ForgetfulPayment:
    """A payment adapter that drops the caller's key: each call a new effect."""

    def __init__(self, inner: PaymentProvider) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()

    def authorize(self, order_id: str, amount_cents: int, *, key: str) -> Effect:
        """Delegate."""
        return self._inner.authorize(order_id, amount_cents, key=key)

    def capture(self, order_id: str, amount_cents: int, *, key: str) -> Effect:
        """Capture under a key of its own making, as if ``key`` were never sent."""
        self.calls[key] += 1
        return self._inner.capture(
            order_id, amount_cents, key=f"{key}#call-{self.calls[key]}"
        )

    def void(self, order_id: str, *, key: str) -> Effect | None:
        """Delegate."""
        return self._inner.void(order_id, key=key)

    def refund(self, order_id: str, amount_cents: int, *, key: str) -> Effect | None:
        """Delegate."""
        return self._inner.refund(order_id, amount_cents, key=key)


class WithForgetfulPayment:
    """The providers, with payment's idempotency taken away."""

    def __init__(self, inner: Providers) -> None:
        self.inventory: InventoryProvider = inner.inventory
        self.payment: PaymentProvider = ForgetfulPayment(inner.payment)
        self.shipping: ShippingProvider = inner.shipping


def forgetful(deps: Deps) -> Deps:
    """The order's deps with payment's idempotency taken away."""
    deps.provider = WithForgetfulPayment(deps.provider)
    return deps


def test_the_checks_catch_a_capture_made_twice_by_a_provider_without_idempotency() -> (
    None
):
    path = ORDER.path("auto-approve")
    clean = run_path(ORDER, path, adapt=forgetful)
    [capture] = [b for b in clean.killer.boundaries if b.name == "capture-payment"]
    assert violations(ORDER, path, clean.snapshot, clean.snapshot) == []

    # Killed before the capture's checkpoint, the step runs again: a second
    # capture under a new key. Reconciliation refunds it, so the order still
    # completes with the right net amount; the checks must see through that.
    crashed = run_path(
        ORDER, path, (capture, KillPoint.BEFORE_CHECKPOINT), adapt=forgetful
    )
    found = violations(ORDER, path, crashed.snapshot, clean.snapshot)

    assert crashed.killer.fired
    assert crashed.snapshot.status == "COMPLETED"
    net = Books.from_effects(crashed.snapshot.effects).net_cents
    assert net == Books.from_effects(clean.snapshot.effects).net_cents
    assert any("effects the clean run did not make" in v for v in found), found
    assert any("captured, refunded, reserved, released" in v for v in found), found
    # Killed before the call, nothing was captured yet: one capture, no violation.
    before = run_path(ORDER, path, (capture, KillPoint.BEFORE_CALL), adapt=forgetful)
    assert before.killer.fired
    assert violations(ORDER, path, before.snapshot, clean.snapshot) == []
