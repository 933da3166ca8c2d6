"""What every sandbox provider shares: its ledger in the store, keys, and faults.

Each provider writes its effects to the store's effects ledger under its own
name (``inventory``, ``payment``, ``shipping``): that is its ledger, and the
books of an order are read back from it. The ledger refuses a second effect
under the same idempotency key, so a call repeated after a crash, a time-out
or a retry returns the first effect and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from orderflow.adapters.sandbox.faults import FaultInjector, FaultKind
from orderflow.domain.errors import ProviderTimeoutError
from orderflow.domain.records import Effect
from orderflow.ports import Store

Clock = Callable[[], datetime]
Make = Callable[[list[Effect]], Effect | None]


def utcnow() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


class SandboxBook:
    """One provider's ledger with fault injection around every call."""

    provider = ""
    # The calls of this provider that ORDERFLOW_FAULTS may name, as
    # ``<provider>.<action>``: each provider registers its own.
    fault_actions: tuple[str, ...] = ()

    @classmethod
    def fault_targets(cls) -> frozenset[str]:
        """This provider's fault targets, e.g. ``payment.capture``."""
        return frozenset(f"{cls.provider}.{a}" for a in cls.fault_actions)

    def __init__(self, store: Store, faults: FaultInjector, clock: Clock) -> None:
        self._store = store
        self._faults = faults
        self._clock = clock

    def effect(
        self,
        key: str,
        order_id: str,
        action: str,
        *,
        amount_cents: int = 0,
        quantity: int = 0,
        reference: str = "",
    ) -> Effect:
        """A new effect of this provider, stamped now."""
        return Effect(
            idempotency_key=key,
            order_id=order_id,
            provider=self.provider,
            action=action,
            amount_cents=amount_cents,
            quantity=quantity,
            reference=reference or self.reference_for(key),
            created_at=self._clock().isoformat(),
        )

    def call(self, action: str, key: str, order_id: str, make: Make) -> Effect | None:
        """Run one keyed call: faults, then the first effect under ``key`` or a new one.

        ``make`` sees the order's ledger so far and returns the effect to record,
        or None when there is nothing to do (an undo of something never done).
        """
        effects = self._store.list_effects(order_id)
        effect = next((e for e in effects if e.idempotency_key == key), None)
        target = f"{self.provider}.{action}"
        fired = {
            f.kind for f in self._faults.fire(target, key, done=effect is not None)
        }
        if effect is None:
            made = make(effects)
            if made is not None:
                effect, new = self._store.record_effect(made)
                if new and FaultKind.DUPLICATE in fired:
                    self._store.record_effect(self.duplicate_of(made))
        if FaultKind.TIMEOUT in fired:
            raise ProviderTimeoutError(
                f"sandbox {self.provider}.{action} timed out after acting (injected)"
            )
        return effect

    def must(self, action: str, key: str, order_id: str, make: Make) -> Effect:
        """``call`` for actions that always record an effect."""
        effect = self.call(action, key, order_id, make)
        assert effect is not None, f"{self.provider}.{action} recorded nothing"
        return effect

    def duplicate_of(self, effect: Effect) -> Effect:
        """The effect again under a provider-made key: the bug ``duplicate`` plays."""
        key = f"{effect.idempotency_key}#dup"
        return self.effect(
            key,
            effect.order_id,
            effect.action,
            amount_cents=effect.amount_cents,
            quantity=effect.quantity,
            reference=self.reference_for(key),
        )

    def reference_for(self, key: str) -> str:
        """The provider's own reference for an effect made under ``key``."""
        return f"{self.provider}-{key}"

    def ledger(self, order_id: str) -> list[Effect]:
        """The order's whole ledger (every provider), oldest first."""
        return self._store.list_effects(order_id)
