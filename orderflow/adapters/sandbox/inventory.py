"""The sandbox inventory: holds, releases and restocks units, keyed, with faults.

A reservation takes units out for an order and a release gives back units it
still holds; a restock puts returned units back on the shelf after delivery.
The books keep them apart (``Books.restocked_units``): a restock never counts
as a release, so an order's own reconciliation reads as before.
"""

from __future__ import annotations

from orderflow.adapters.sandbox.book import SandboxBook
from orderflow.domain.records import Effect
from orderflow.processes.orders.ledger import Books


class SandboxInventory(SandboxBook):
    """``orderflow.ports.InventoryProvider`` on the store's ledger."""

    provider = "inventory"
    fault_actions = ("reserve", "release", "restock", "withdraw")

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

    def restock(self, order_id: str, units: int, *, key: str) -> Effect | None:
        """Put up to ``units`` returned units back; None if every unit is back."""

        def make(effects: list[Effect]) -> Effect | None:
            give = min(units, Books.from_effects(effects).units_out)
            if give <= 0:
                return None
            return self.effect(key, order_id, "restock", quantity=give)

        return self.call("restock", key, order_id, make)

    def withdraw(self, order_id: str, units: int, *, key: str) -> Effect | None:
        """Take back up to ``units`` of the order's restocks; None if none."""

        def make(effects: list[Effect]) -> Effect | None:
            give = min(units, Books.from_effects(effects).restocked_units)
            if give <= 0:
                return None
            return self.effect(key, order_id, "withdraw", quantity=-give)

        return self.call("withdraw", key, order_id, make)
