"""The sandbox inventory: holds and releases units, keyed, with injected faults."""

from __future__ import annotations

from orderflow.adapters.sandbox.book import SandboxBook
from orderflow.domain.records import Effect
from orderflow.processes.orders.ledger import Books


class SandboxInventory(SandboxBook):
    """``orderflow.ports.InventoryProvider`` on the store's ledger."""

    provider = "inventory"

    def reserve(self, order_id: str, units: int, *, key: str) -> Effect:
        """Hold ``units`` for the order."""
        return self.must(
            "reserve",
            key,
            order_id,
            lambda _: self.effect(key, order_id, "reserve", quantity=units),
        )

    def release(self, order_id: str, units: int, *, key: str) -> Effect | None:
        """Give back up to ``units`` the order holds; None if it holds none."""

        def make(effects: list[Effect]) -> Effect | None:
            held = Books.from_effects(effects).units_moved
            give = min(units, held)
            if give <= 0:
                return None
            return self.effect(key, order_id, "release", quantity=-give)

        return self.call("release", key, order_id, make)
