"""The sandbox carrier: parcels move on over time, one keyed stage per tracking call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orderflow.adapters.sandbox import SandboxProvider
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.errors import ProviderThrottledError, ShipmentNotFoundError
from orderflow.domain.shipping import ShipmentStatus as S
from orderflow.processes.orders.outcomes import DEFAULT_TRANSIT


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _carrier(
    store: SqliteStore, faults: str = "", stage_seconds: float = 0
) -> tuple[SandboxProvider, FakeClock]:
    clock = FakeClock()
    sandbox = SandboxProvider(store, faults, stage_seconds=stage_seconds, clock=clock)
    sandbox.shipping.create("O-1", units=2, service="overnight", key="O-1:ship")
    return sandbox, clock


def _statuses(sandbox: SandboxProvider, polls: int) -> list[S]:
    return [sandbox.shipping.track("O-1", "O-1:ship").status for _ in range(polls)]


def test_a_parcel_moves_one_stage_per_poll_and_stays_delivered(
    store: SqliteStore,
) -> None:
    sandbox, _ = _carrier(store)

    assert _statuses(sandbox, 4) == [
        S.IN_TRANSIT,
        S.DELIVERED,
        S.DELIVERED,
        S.DELIVERED,
    ]
    assert [(e.action, e.idempotency_key) for e in store.list_effects("O-1")] == [
        ("create", "O-1:ship"),
        ("in_transit", "O-1:ship:in_transit"),
        ("delivered", "O-1:ship:delivered"),
    ]


def test_a_stage_waits_for_its_seconds(store: SqliteStore) -> None:
    sandbox, clock = _carrier(store, stage_seconds=60)

    assert _statuses(sandbox, 2) == [S.LABEL_CREATED, S.LABEL_CREATED]
    clock.advance(60)
    assert _statuses(sandbox, 2) == [S.IN_TRANSIT, S.IN_TRANSIT]
    clock.advance(59)
    assert _statuses(sandbox, 1) == [S.IN_TRANSIT]
    clock.advance(1)
    assert _statuses(sandbox, 1) == [S.DELIVERED]


def test_delivered_parcel_reports_the_services_transit_time(store: SqliteStore) -> None:
    sandbox, _ = _carrier(store)

    _statuses(sandbox, 2)
    tracking = sandbox.shipping.track("O-1", "O-1:ship")

    assert tracking.reference.startswith("SBX-OVERNIGHT-")
    assert tracking.service == "overnight"
    norm = DEFAULT_TRANSIT["overnight"].median_hours
    assert tracking.transit_hours is not None
    assert 0.8 * norm <= tracking.transit_hours <= 1.25 * norm


def test_a_delayed_parcel_is_held_then_delivered_six_times_slower(
    store: SqliteStore,
) -> None:
    sandbox, _ = _carrier(store, "shipping.delivery=1x:delayed")

    assert _statuses(sandbox, 3) == [S.IN_TRANSIT, S.HELD, S.DELIVERED]
    tracking = sandbox.shipping.track("O-1", "O-1:ship")
    assert tracking.transit_hours is not None
    assert tracking.transit_hours >= 6 * 0.8 * DEFAULT_TRANSIT["overnight"].median_hours


def test_a_returned_parcel_is_no_longer_live(store: SqliteStore) -> None:
    sandbox, _ = _carrier(store, "shipping.delivery=1x:returned")

    assert _statuses(sandbox, 3) == [S.IN_TRANSIT, S.RETURNED, S.RETURNED]
    assert sum(e.quantity for e in store.list_effects("O-1")) == 0
    assert sandbox.shipping.cancel("O-1", "O-1:ship", key="c") is None


def test_a_stuck_parcel_does_not_move_while_stuck(store: SqliteStore) -> None:
    sandbox, _ = _carrier(store, "shipping.delivery=2x:stuck")

    assert _statuses(sandbox, 4) == [
        S.IN_TRANSIT,
        S.IN_TRANSIT,
        S.IN_TRANSIT,
        S.DELIVERED,
    ]


def test_delivery_faults_count_per_order_so_a_second_parcel_gets_through(
    store: SqliteStore,
) -> None:
    sandbox, _ = _carrier(store, "shipping.delivery=1x:returned")
    _statuses(sandbox, 2)
    sandbox.shipping.create("O-1", units=2, service="overnight", key="O-1:reship")

    statuses = [sandbox.shipping.track("O-1", "O-1:reship").status for _ in range(2)]

    assert statuses == [S.IN_TRANSIT, S.DELIVERED]


def test_a_cancelled_parcel_stops_moving(store: SqliteStore) -> None:
    sandbox, _ = _carrier(store)
    cancelled = sandbox.shipping.cancel("O-1", "O-1:ship", key="O-1:cancel")

    assert cancelled is not None
    assert cancelled.quantity == -1
    assert _statuses(sandbox, 2) == [S.CANCELLED, S.CANCELLED]


def test_tracking_an_unknown_shipment_is_a_terminal_error(store: SqliteStore) -> None:
    sandbox, _ = _carrier(store)

    with pytest.raises(ShipmentNotFoundError, match="O-1:nope"):
        sandbox.shipping.track("O-1", "O-1:nope")


def test_a_throttled_tracking_call_moves_nothing(store: SqliteStore) -> None:
    sandbox, _ = _carrier(store, "shipping.track=1x:throttled")

    with pytest.raises(ProviderThrottledError):
        sandbox.shipping.track("O-1", "O-1:ship")

    assert [e.action for e in store.list_effects("O-1")] == ["create"]
    assert _statuses(sandbox, 1) == [S.IN_TRANSIT]
