"""The sandbox fulfilment providers: fakes with real ledgers and injected faults.

They are the default in the local stack and in the deployed template, so a fresh
deploy works end to end. Inventory, payment and shipping each keep their ledger
in the store (the effects table, under their own provider name) and deduplicate
on the caller's idempotency key, exactly as a real payment or shipping API
promises. Faults come from ``ORDERFLOW_FAULTS`` (see ``faults``); the carrier's
pace from ``ORDERFLOW_SANDBOX_STAGE_SECONDS`` (see ``shipping``); return parcels'
arrival and inspection from ``ORDERFLOW_SANDBOX_RETURN_ARRIVES`` and
``ORDERFLOW_SANDBOX_RETURN_INSPECTION`` (see ``returns``).
docs/providers.md shows how a real provider replaces one of them.
"""

from __future__ import annotations

import os

from orderflow.adapters.sandbox.book import Clock, utcnow
from orderflow.adapters.sandbox.faults import (
    Fault,
    FaultInjector,
    FaultKind,
    parse_faults,
)
from orderflow.adapters.sandbox.inventory import SandboxInventory
from orderflow.adapters.sandbox.payment import SandboxPayment
from orderflow.adapters.sandbox.returns import ReturnParcels
from orderflow.adapters.sandbox.shipping import SandboxShipping
from orderflow.ports import Store

__all__ = [
    "FAULT_TARGETS",
    "Fault",
    "FaultInjector",
    "FaultKind",
    "ReturnParcels",
    "SandboxInventory",
    "SandboxPayment",
    "SandboxProvider",
    "SandboxShipping",
    "parse_faults",
]


# What ORDERFLOW_FAULTS may name: the calls each provider registered.
FAULT_TARGETS = frozenset().union(
    *(p.fault_targets() for p in (SandboxInventory, SandboxPayment, SandboxShipping))
)


class SandboxProvider:
    """``orderflow.ports.Providers``: the three sandboxes, one store, one faults."""

    def __init__(
        self,
        store: Store,
        faults: str = "",
        seed: int | None = None,
        *,
        stage_seconds: float | None = None,
        clock: Clock = utcnow,
        returns: ReturnParcels | None = None,
    ) -> None:
        if stage_seconds is None:
            stage_seconds = _stage_seconds_from_env()
        injector = FaultInjector(parse_faults(faults, FAULT_TARGETS), seed)
        self.inventory = SandboxInventory(store, injector, clock)
        self.payment = SandboxPayment(store, injector, clock)
        self.shipping = SandboxShipping(
            store,
            injector,
            clock,
            stage_seconds,
            ReturnParcels.from_env() if returns is None else returns,
        )


def _stage_seconds_from_env() -> float:
    """``ORDERFLOW_SANDBOX_STAGE_SECONDS``, read through the settings' own rules."""
    from orderflow.config import Settings

    return Settings.from_env(os.environ).sandbox_stage_seconds
