"""The sandbox fulfilment provider: a fake with a real ledger and injected faults.

It is the default locally and in the deployed template, so a fresh deploy works
end to end. Every call carries an idempotency key; the ledger (the store's
effects table) deduplicates on it, so a call repeated after a crash has no
second effect, exactly as a real payment or shipping API promises.

Faults come from ``ORDERFLOW_FAULTS``: comma-separated ``provider.action=RATE:KIND``
where RATE is a probability (``0.3``) or a count of first calls per key that
fail (``2x``), and KIND is ``transient`` or ``terminal``. Example:
``payment.capture=2x:transient,inventory.reserve=0.05:terminal``.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from orderflow.domain.errors import TerminalProviderError, TransientProviderError
from orderflow.domain.records import Effect
from orderflow.ports import Store


@dataclass(frozen=True)
class Fault:
    """One injected fault rule."""

    probability: float
    first_calls: int
    terminal: bool


def parse_faults(spec: str) -> dict[str, Fault]:
    """Parse an ``ORDERFLOW_FAULTS`` value; raise ValueError naming the bad part."""
    faults: dict[str, Fault] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        try:
            target, rest = part.split("=", 1)
            rate, kind = rest.split(":", 1)
            if kind not in ("transient", "terminal"):
                raise ValueError(kind)
            if rate.endswith("x"):
                fault = Fault(0.0, int(rate[:-1]), kind == "terminal")
            else:
                fault = Fault(float(rate), 0, kind == "terminal")
        except ValueError as e:
            raise ValueError(
                f"ORDERFLOW_FAULTS: cannot parse {part!r}; "
                "expected provider.action=RATE:transient|terminal"
            ) from e
        faults[target.strip()] = fault
    return faults


class SandboxProvider:
    """Inventory, payment and shipping in one fake, recording effects in the store."""

    def __init__(self, store: Store, faults: str = "", seed: int | None = None) -> None:
        self._store = store
        self._faults = parse_faults(faults)
        self._calls: dict[str, int] = {}
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def _maybe_fail(self, target: str, key: str) -> None:
        fault = self._faults.get(target)
        if fault is None:
            return
        with self._lock:
            calls = self._calls[key] = self._calls.get(key, 0) + 1
            fails = (
                calls <= fault.first_calls or self._random.random() < fault.probability
            )
        if fails:
            error = TerminalProviderError if fault.terminal else TransientProviderError
            raise error(f"sandbox {target} failed (injected, call {calls})")

    def _apply(
        self,
        target: str,
        key: str,
        order_id: str,
        *,
        amount_cents: int = 0,
        quantity: int = 0,
        reference: str = "",
    ) -> Effect:
        self._maybe_fail(target, key)
        provider, action = target.split(".", 1)
        effect, _ = self._store.record_effect(
            Effect(
                idempotency_key=key,
                order_id=order_id,
                provider=provider,
                action=action,
                amount_cents=amount_cents,
                quantity=quantity,
                reference=reference or f"{provider}-{key}",
                created_at=datetime.now(UTC).isoformat(),
            )
        )
        return effect

    def reserve_inventory(self, order_id: str, quantity: int, *, key: str) -> Effect:
        """Hold ``quantity`` units for the order."""
        return self._apply("inventory.reserve", key, order_id, quantity=quantity)

    def release_inventory(self, order_id: str, quantity: int, *, key: str) -> Effect:
        """Give held units back."""
        return self._apply("inventory.release", key, order_id, quantity=-quantity)

    def capture_payment(self, order_id: str, amount_cents: int, *, key: str) -> Effect:
        """Take the money."""
        return self._apply("payment.capture", key, order_id, amount_cents=amount_cents)

    def refund_payment(self, order_id: str, amount_cents: int, *, key: str) -> Effect:
        """Give money back."""
        return self._apply("payment.refund", key, order_id, amount_cents=-amount_cents)

    def create_shipment(self, order_id: str, *, key: str) -> Effect:
        """Book the parcel."""
        return self._apply("shipping.create", key, order_id, quantity=1)

    def cancel_shipment(self, order_id: str, *, key: str) -> Effect:
        """Cancel the parcel."""
        return self._apply("shipping.cancel", key, order_id, quantity=-1)
