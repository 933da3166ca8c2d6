"""The sandbox payment provider: holds, captures, voids and refunds, keyed."""

from __future__ import annotations

from orderflow.adapters.sandbox.book import SandboxBook
from orderflow.domain.records import Effect
from orderflow.processes.orders.ledger import Books


class SandboxPayment(SandboxBook):
    """``orderflow.ports.PaymentProvider`` on the store's ledger.

    Amounts in the ledger are signed: an authorisation is a hold (+), a void
    drops what is still held (-); a capture takes money (+), a refund gives it
    back (-). A capture consumes the hold it takes from.
    """

    provider = "payment"

    def authorize(self, order_id: str, amount_cents: int, *, key: str) -> Effect:
        """Put a hold of ``amount_cents`` on the customer's card."""
        return self.must(
            "authorize",
            key,
            order_id,
            lambda _: self.effect(
                key, order_id, "authorize", amount_cents=amount_cents
            ),
        )

    def capture(self, order_id: str, amount_cents: int, *, key: str) -> Effect:
        """Take ``amount_cents`` of the held money."""
        return self.must(
            "capture",
            key,
            order_id,
            lambda _: self.effect(key, order_id, "capture", amount_cents=amount_cents),
        )

    def void(self, order_id: str, *, key: str) -> Effect | None:
        """Drop the uncaptured part of the hold; None if nothing is held."""

        def make(effects: list[Effect]) -> Effect | None:
            held = Books.from_effects(effects).held_cents
            if held <= 0:
                return None
            return self.effect(key, order_id, "void", amount_cents=-held)

        return self.call("void", key, order_id, make)

    def refund(self, order_id: str, amount_cents: int, *, key: str) -> Effect | None:
        """Give back up to ``amount_cents`` of what was captured; None if none."""

        def make(effects: list[Effect]) -> Effect | None:
            give = min(amount_cents, Books.from_effects(effects).net_cents)
            if give <= 0:
                return None
            return self.effect(key, order_id, "refund", amount_cents=-give)

        return self.call("refund", key, order_id, make)
