"""The sandbox payment provider: holds, captures, voids and refunds, keyed.

A refund is capped by what was captured less every earlier refund, also when
two returns of one order refund at once: each refund first claims the next
entry of the order's refund-claim sequence (``orderflow.parts.claims``), a
keyed insert that only one of two racing refunds wins; the loser reads again
and caps again. The claims live in a partition of their own
(``<order_id>#refund-claims``), so the order's ledger reads as before.
"""

from __future__ import annotations

from orderflow.adapters.sandbox.book import SandboxBook
from orderflow.domain.errors import ProviderThrottledError
from orderflow.domain.records import Effect
from orderflow.parts.claims import ClaimContendedError, append_next, sequence
from orderflow.processes.orders.ledger import Books


def claims_partition(order_id: str) -> str:
    """Where the order's refund claims live."""
    return f"{order_id}#refund-claims"


class SandboxPayment(SandboxBook):
    """``orderflow.ports.PaymentProvider`` on the store's ledger.

    Amounts in the ledger are signed: an authorisation is a hold (+), a void
    drops what is still held (-); a capture takes money (+), a refund gives it
    back (-). A capture consumes the hold it takes from.
    """

    provider = "payment"
    fault_actions = ("authorize", "capture", "void", "refund")

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
            claim = self._claim_refund(order_id, amount_cents, key, effects)
            if claim is None:
                return None
            return self.effect(key, order_id, "refund", amount_cents=claim.amount_cents)

        return self.call("refund", key, order_id, make)

    def _claim_refund(
        self, order_id: str, amount_cents: int, key: str, effects: list[Effect]
    ) -> Effect | None:
        """This key's refund claim: the one made before a crash, or a new one."""
        partition = claims_partition(order_id)
        prefix = f"{order_id}:refund-claim"
        held = sequence(self._store.list_effects(partition), prefix)
        mine = next((c for c in held if c.reference == key), None)
        if mine is not None:
            return mine
        captured = Books.from_effects(effects).captured_cents

        def decide(claims: list[Effect], slot: str) -> Effect | None:
            claimed = {c.reference: -c.amount_cents for c in claims}
            # Refunds made without a claim (a duplicated one) count as well.
            unclaimed = -sum(
                e.amount_cents
                for e in effects
                if (e.provider, e.action) == ("payment", "refund")
                and e.idempotency_key not in claimed
            )
            give = min(amount_cents, captured - sum(claimed.values()) - unclaimed)
            if give <= 0:
                return None
            return self.effect(
                slot, partition, "refund-claim", amount_cents=-give, reference=key
            )

        try:
            return append_next(
                self._store, partition=partition, prefix=prefix, decide=decide
            )
        except ClaimContendedError as e:
            raise ProviderThrottledError(f"sandbox payment.refund: {e}") from e
