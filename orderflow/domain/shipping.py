"""A shipment's life as the carrier reports it: statuses and one tracking answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class ShipmentStatus(StrEnum):
    """Where a parcel is. The last three are final: tracking stops there."""

    LABEL_CREATED = "LABEL_CREATED"  # booked, not yet picked up; still cancellable
    IN_TRANSIT = "IN_TRANSIT"  # with the carrier
    HELD = "HELD"  # an exception scan: held up in transit, delivery will be late
    DELIVERED = "DELIVERED"  # handed over (final)
    RETURNED = "RETURNED"  # could not be delivered, back with us (final)
    CANCELLED = "CANCELLED"  # cancelled before pick-up (final)

    @property
    def is_final(self) -> bool:
        """True when the carrier will report nothing new about the parcel."""
        return self in (
            ShipmentStatus.DELIVERED,
            ShipmentStatus.RETURNED,
            ShipmentStatus.CANCELLED,
        )


@dataclass(frozen=True)
class Tracking:
    """One answer from the carrier's tracking API."""

    shipment_key: str  # our idempotency key of the shipment's creation
    reference: str  # the carrier's tracking number
    status: ShipmentStatus
    service: str  # the shipping speed the parcel travels at
    # Hours from pick-up to hand-over on the carrier's own clock, once delivered.
    transit_hours: float | None = None
    # Units the warehouse found damaged, once a return parcel has arrived.
    damaged_units: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form, as checkpointed by the delivery wait (no inspection: none)."""
        data = asdict(self)
        data["status"] = self.status.value
        if data["damaged_units"] is None:
            del data["damaged_units"]
        return data
