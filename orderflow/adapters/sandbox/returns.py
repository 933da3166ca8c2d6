"""How the sandbox carrier brings return parcels back, and what the warehouse finds.

``ORDERFLOW_SANDBOX_RETURN_ARRIVES``: ``after:N`` (the parcel arrives on the
N-th due tracking call, scanned in transit before that; default ``after:2``) or
``never`` (the customer never sends it). ``ORDERFLOW_SANDBOX_RETURN_INSPECTION``:
``ok`` (default) or ``damaged:<units>`` (that many units of each arrived parcel,
at most all of them, are found damaged).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from orderflow.domain.records import Effect

ARRIVES_ENV = "ORDERFLOW_SANDBOX_RETURN_ARRIVES"
INSPECTION_ENV = "ORDERFLOW_SANDBOX_RETURN_INSPECTION"


@dataclass(frozen=True)
class ReturnParcels:
    """When a return parcel arrives (None: never) and how many units are damaged."""

    arrives_after: int | None = 2
    damaged_units: int = 0

    @classmethod
    def parse(cls, arrives: str = "", inspection: str = "") -> ReturnParcels:
        """From the two settings' values; ValueError names the bad one."""
        after: int | None = 2
        text = arrives.strip()
        if text == "never":
            after = None
        elif text:
            head, _, count = text.partition(":")
            if head != "after" or not count.isdigit():
                raise ValueError(
                    f"{ARRIVES_ENV} must be after:N or never, not {text!r}"
                )
            after = int(count)
        damaged = 0
        text = inspection.strip()
        if text and text != "ok":
            head, _, count = text.partition(":")
            if head != "damaged" or not count.isdigit():
                raise ValueError(
                    f"{INSPECTION_ENV} must be ok or damaged:<units>, not {text!r}"
                )
            damaged = int(count)
        return cls(after, damaged)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReturnParcels:
        """From ``ORDERFLOW_SANDBOX_RETURN_ARRIVES`` and ``..._INSPECTION``."""
        env = os.environ if env is None else env
        return cls.parse(
            env.get("ORDERFLOW_SANDBOX_RETURN_ARRIVES", ""),
            env.get("ORDERFLOW_SANDBOX_RETURN_INSPECTION", ""),
        )

    def next_scan(self, effects: list[Effect], label: Effect) -> tuple[str, int] | None:
        """The next event of ``label``'s parcel: (action, damaged units), or None."""
        if self.arrives_after is None:
            return None
        scans = sum(
            1 for e in effects if e.reference == label.reference and e is not label
        )
        if scans + 1 < self.arrives_after:
            return "return_in_transit", 0
        return "return_arrived", min(self.damaged_units, label.quantity)


def damaged_in(effects: list[Effect], label: Effect) -> int:
    """Units the warehouse found damaged in ``label``'s arrived parcel."""
    arrived = (
        e
        for e in effects
        if e.reference == label.reference and e.action == "return_arrived"
    )
    return next((e.quantity for e in arrived), 0)
