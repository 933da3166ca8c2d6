"""The provider contract: what the saga and reconciliation rely on from any adapter.

Every adapter of InventoryProvider, PaymentProvider and ShippingProvider passes
these tests; today that is the sandbox. A real adapter joins by adding a
parameter to the ``providers`` fixture that builds it against its own test
account (docs/providers.md). The guarantees:

1. A call repeated with the same idempotency key returns the first effect and
   does nothing else, even with other arguments.
2. An undo of something that never happened answers None and does nothing.
3. An undo never gives back more than was taken: a refund at most what was
   captured, a release at most what was reserved, a void only what is held.
4. A parcel that reached its end (delivered, returned, cancelled) cannot be
   cancelled; an unknown shipment is a ShipmentNotFoundError.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orderflow.adapters.sandbox import SandboxProvider
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.errors import ShipmentNotFoundError
from orderflow.domain.shipping import ShipmentStatus
from orderflow.ports import Providers
from orderflow.processes.orders.ledger import Books


@pytest.fixture(params=["sandbox"])
def providers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Providers]:
    """Each adapter set in turn, on a clean account."""
    adapters = {
        "sandbox": lambda: SandboxProvider(
            SqliteStore(tmp_path / "providers.db"), stage_seconds=0
        ),
    }
    yield adapters[request.param]()


@pytest.fixture
def ledger_of(providers: Providers, tmp_path: Path) -> SqliteStore:
    """Where the sandbox keeps its books (a real adapter reads its own account)."""
    return SqliteStore(tmp_path / "providers.db")


def test_a_repeated_key_returns_the_first_effect_and_does_nothing_else(
    providers: Providers, ledger_of: SqliteStore
) -> None:
    first = providers.payment.capture("O-1", 500, key="O-1:capture")

    again = providers.payment.capture("O-1", 999, key="O-1:capture")

    assert again == first
    assert Books.from_effects(ledger_of.list_effects("O-1")).captured_cents == 500


@pytest.mark.parametrize("method", ["reserve", "authorize", "create"])
def test_every_forward_call_is_idempotent(
    providers: Providers, ledger_of: SqliteStore, method: str
) -> None:
    calls = {
        "reserve": lambda: providers.inventory.reserve("O-1", 2, key="k"),
        "authorize": lambda: providers.payment.authorize("O-1", 700, key="k"),
        "create": lambda: providers.shipping.create(
            "O-1", units=2, service="standard", key="k"
        ),
    }

    first, second = calls[method](), calls[method]()

    assert first == second
    assert len(ledger_of.list_effects("O-1")) == 1


def test_undoing_what_never_happened_is_none(
    providers: Providers, ledger_of: SqliteStore
) -> None:
    assert providers.inventory.release("O-1", 3, key="r") is None
    assert providers.payment.void("O-1", key="v") is None
    assert providers.payment.refund("O-1", 700, key="f") is None
    assert providers.shipping.cancel("O-1", "O-1:ship", key="c") is None
    assert ledger_of.list_effects("O-1") == []


def test_an_undo_gives_back_at_most_what_was_taken(
    providers: Providers, ledger_of: SqliteStore
) -> None:
    providers.inventory.reserve("O-1", 3, key="res")
    providers.payment.authorize("O-1", 700, key="auth")
    providers.payment.capture("O-1", 700, key="cap")

    refund = providers.payment.refund("O-1", 10_000, key="ref")
    release = providers.inventory.release("O-1", 5, key="rel")

    assert refund is not None and refund.amount_cents == -700
    assert release is not None and release.quantity == -3
    assert providers.payment.void("O-1", key="void") is None  # the capture took it
    assert providers.payment.refund("O-1", 1, key="ref-2") is None
    books = Books.from_effects(ledger_of.list_effects("O-1"))
    assert (books.net_cents, books.units_moved, books.held_cents) == (0, 0, 0)


def test_a_void_drops_what_is_still_held(providers: Providers) -> None:
    providers.payment.authorize("O-1", 700, key="auth")

    void = providers.payment.void("O-1", key="void")

    assert void is not None and void.amount_cents == -700


def test_a_delivered_parcel_cannot_be_cancelled(providers: Providers) -> None:
    providers.shipping.create("O-1", units=1, service="overnight", key="ship")
    statuses = [providers.shipping.track("O-1", "ship").status for _ in range(2)]

    assert statuses[-1] is ShipmentStatus.DELIVERED
    assert providers.shipping.cancel("O-1", "ship", key="cancel") is None


def test_a_parcel_not_yet_delivered_can_be_cancelled_once(
    providers: Providers,
) -> None:
    providers.shipping.create("O-1", units=1, service="standard", key="ship")

    cancel = providers.shipping.cancel("O-1", "ship", key="cancel")
    again = providers.shipping.cancel("O-1", "ship", key="cancel")

    assert cancel is not None and cancel == again
    assert providers.shipping.track("O-1", "ship").status is ShipmentStatus.CANCELLED


def test_tracking_an_unknown_shipment_is_refused(providers: Providers) -> None:
    with pytest.raises(ShipmentNotFoundError):
        providers.shipping.track("O-1", "nope")
