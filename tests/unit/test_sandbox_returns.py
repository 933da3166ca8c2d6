"""The sandbox's return parcels: when they arrive, what the warehouse finds."""

from __future__ import annotations

import pytest

from orderflow.adapters.sandbox import ReturnParcels, SandboxProvider
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.shipping import ShipmentStatus as S


def _label(
    store: SqliteStore, returns: ReturnParcels, units: int = 2
) -> SandboxProvider:
    sandbox = SandboxProvider(store, stage_seconds=0, returns=returns)
    sandbox.shipping.create_return_label("O-1", units=units, key="R-1:label")
    return sandbox


def test_a_parcel_that_is_never_sent_stays_at_label_created(
    store: SqliteStore,
) -> None:
    sandbox = _label(store, ReturnParcels.parse("never"))

    statuses = {sandbox.shipping.track("O-1", "R-1:label").status for _ in range(9)}

    assert statuses == {S.LABEL_CREATED}


def test_a_parcel_arrives_on_the_nth_tracking_call(store: SqliteStore) -> None:
    sandbox = _label(store, ReturnParcels.parse("after:4"))

    statuses = [sandbox.shipping.track("O-1", "R-1:label").status for _ in range(5)]

    assert statuses == [S.IN_TRANSIT] * 3 + [S.DELIVERED] * 2


def test_the_inspection_reports_damaged_units_at_most_all_of_them(
    store: SqliteStore,
) -> None:
    sandbox = _label(store, ReturnParcels.parse("after:1", "damaged:5"), units=2)

    arrived = sandbox.shipping.track("O-1", "R-1:label")

    assert (arrived.status, arrived.damaged_units) == (S.DELIVERED, 2)
    assert "damaged_units" in arrived.as_dict()


def test_the_settings_come_from_the_environment() -> None:
    env = {
        "ORDERFLOW_SANDBOX_RETURN_ARRIVES": "after:3",
        "ORDERFLOW_SANDBOX_RETURN_INSPECTION": "damaged:1",
    }

    assert ReturnParcels.from_env(env) == ReturnParcels(3, 1)
    assert ReturnParcels.from_env({}) == ReturnParcels(2, 0)


@pytest.mark.parametrize(
    ("arrives", "inspection", "named"),
    [
        ("soon", "", "ORDERFLOW_SANDBOX_RETURN_ARRIVES"),
        ("after:x", "", "ORDERFLOW_SANDBOX_RETURN_ARRIVES"),
        ("", "broken", "ORDERFLOW_SANDBOX_RETURN_INSPECTION"),
    ],
)
def test_a_bad_setting_is_refused_by_name(
    arrives: str, inspection: str, named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        ReturnParcels.parse(arrives, inspection)


def test_an_outbound_parcel_reports_no_inspection(store: SqliteStore) -> None:
    sandbox = SandboxProvider(store, stage_seconds=0)
    sandbox.shipping.create("O-1", units=1, service="standard", key="O-1:ship")

    tracked = [sandbox.shipping.track("O-1", "O-1:ship") for _ in range(2)]

    assert tracked[-1].status is S.DELIVERED
    assert tracked[-1].damaged_units is None
    assert "damaged_units" not in tracked[-1].as_dict()
