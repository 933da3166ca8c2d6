"""Fault injection for the sandbox providers, configured by ``ORDERFLOW_FAULTS``.

The value is comma-separated rules ``provider.action=RATE:KIND[:MS]``:

- RATE is a probability (``0.3``) or a count (``2x``: the first two calls with
  each idempotency key fail, so a retry with the same key eventually succeeds).
- KIND is what happens to the call:

  ============================  ================================================
  ``unavailable`` (``transient``)  ProviderUnavailableError (a 5xx), nothing done
  ``throttled``                   ProviderThrottledError (a 429), nothing done
  ``timeout``                     the effect happens, then ProviderTimeoutError:
                                  the answer was lost, only the key tells
  ``terminal``                    the provider's refusal: OutOfStockError,
                                  CardDeclinedError or AddressUndeliverableError
  ``out_of_stock``, ``card_declined``, ``address_undeliverable``: that refusal
  ``duplicate``                   a provider bug: the effect is applied twice
  ``latency[:MS]``                the answer comes MS milliseconds late (200)
  ============================  ================================================

- ``shipping.delivery`` rules act on the parcel, counted per order, when it
  would move on from IN_TRANSIT: ``delayed`` (held up, delivered late),
  ``returned`` (back to sender) or ``stuck`` (no progress this time).

Example: ``payment.capture=2x:unavailable,inventory.reserve=0.05:out_of_stock``.
Several rules may name the same target; they are checked in the order given.
A call under a key the provider already acted on gets its first answer again,
as from an idempotent API: a refusal never hits it, other faults may.
Counts live in memory, per process: in AWS each Lambda sandbox counts alone.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum

from orderflow.domain.errors import (
    AddressUndeliverableError,
    CardDeclinedError,
    OutOfStockError,
    ProviderError,
    ProviderThrottledError,
    ProviderUnavailableError,
    TerminalProviderError,
)

DEFAULT_LATENCY_MS = 200


class FaultKind(StrEnum):
    """What an injected fault does."""

    UNAVAILABLE = "unavailable"
    TRANSIENT = "transient"  # the same as unavailable
    THROTTLED = "throttled"
    TIMEOUT = "timeout"
    TERMINAL = "terminal"
    OUT_OF_STOCK = "out_of_stock"
    CARD_DECLINED = "card_declined"
    ADDRESS_UNDELIVERABLE = "address_undeliverable"
    DUPLICATE = "duplicate"
    LATENCY = "latency"
    DELAYED = "delayed"
    RETURNED = "returned"
    STUCK = "stuck"


DELIVERY_KINDS = frozenset({FaultKind.DELAYED, FaultKind.RETURNED, FaultKind.STUCK})
_REFUSALS: dict[str, type[ProviderError]] = {
    "inventory": OutOfStockError,
    "payment": CardDeclinedError,
    "shipping": AddressUndeliverableError,
}
_BEFORE: dict[FaultKind, type[ProviderError]] = {
    FaultKind.UNAVAILABLE: ProviderUnavailableError,
    FaultKind.TRANSIENT: ProviderUnavailableError,
    FaultKind.THROTTLED: ProviderThrottledError,
    FaultKind.OUT_OF_STOCK: OutOfStockError,
    FaultKind.CARD_DECLINED: CardDeclinedError,
    FaultKind.ADDRESS_UNDELIVERABLE: AddressUndeliverableError,
}
# The kinds that are a provider's refusal: ``terminal``, and those raising one.
_REFUSAL_KINDS = frozenset({FaultKind.TERMINAL}) | {
    kind for kind, error in _BEFORE.items() if issubclass(error, TerminalProviderError)
}


@dataclass(frozen=True)
class Fault:
    """One injected fault rule."""

    probability: float
    first_calls: int
    kind: FaultKind
    latency_ms: int = 0

    @property
    def refuses(self) -> bool:
        """True for a provider's refusal (card declined, out of stock, ...)."""
        return self.kind in _REFUSAL_KINDS

    def error_before(self, target: str) -> type[ProviderError] | None:
        """The error this fault raises before the provider acts, if any."""
        if self.kind is FaultKind.TERMINAL:
            return _REFUSALS[target.split(".", 1)[0]]
        return _BEFORE.get(self.kind)


def parse_faults(spec: str, targets: Collection[str]) -> dict[str, tuple[Fault, ...]]:
    """Parse an ``ORDERFLOW_FAULTS`` value; raise ValueError naming the bad part.

    ``targets`` are the calls faults may name (``provider.action``): each
    provider registers its own (``SandboxBook.fault_targets``).
    """
    faults: dict[str, tuple[Fault, ...]] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        try:
            target, rest = (s.strip() for s in part.split("=", 1))
            if target not in targets:
                raise ValueError(f"unknown target {target!r}")
            fault = _parse_rule(target, rest)
        except ValueError as e:
            raise ValueError(
                f"ORDERFLOW_FAULTS: cannot parse {part!r} ({e}); expected "
                "provider.action=RATE:KIND, e.g. payment.capture=2x:unavailable"
            ) from e
        faults[target] = (*faults.get(target, ()), fault)
    return faults


def _parse_rule(target: str, rest: str) -> Fault:
    rate, kind_text, *extra = rest.split(":")
    kind = FaultKind(kind_text)  # ValueError names the bad kind
    if (kind in DELIVERY_KINDS) != (target == "shipping.delivery"):
        raise ValueError(f"{kind} does not apply to {target}")
    if (extra and kind is not FaultKind.LATENCY) or len(extra) > 1:
        raise ValueError("only latency takes a third part (milliseconds)")
    latency = int(extra[0]) if extra else DEFAULT_LATENCY_MS
    if rate.endswith("x"):
        count, probability = int(rate[:-1]), 0.0
    else:
        count, probability = 0, float(rate)
    if count < 0 or not 0.0 <= probability <= 1.0 or latency < 0:
        raise ValueError("out of range")
    return Fault(probability, count, kind, latency if kind is FaultKind.LATENCY else 0)


class FaultInjector:
    """Decides, call by call, which faults fire; counts calls per target and key."""

    def __init__(
        self,
        faults: dict[str, tuple[Fault, ...]],
        seed: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._faults = faults
        self._calls: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._sleep = sleep

    def fire(self, target: str, key: str, *, done: bool = False) -> tuple[Fault, ...]:
        """The faults that hit this call, after sleeping any injected latency.

        ``done`` says the provider already acted under ``key``. It answers such
        a call with its first answer, as an idempotent API does, so it cannot
        refuse it: only faults on the way (5xx, throttling, latency, a lost
        answer) can hit it. A refusal there would tell the saga that an effect
        which happened did not, and leave it uncompensated.
        """
        rules = tuple(
            f for f in self._faults.get(target, ()) if not (done and f.refuses)
        )
        if not rules:
            return ()
        with self._lock:
            calls = self._calls[target, key] = self._calls.get((target, key), 0) + 1
            fired = tuple(
                f
                for f in rules
                if calls <= f.first_calls or self._random.random() < f.probability
            )
        for fault in fired:
            if fault.kind is FaultKind.LATENCY:
                self._sleep(fault.latency_ms / 1000)
        for fault in fired:
            error = fault.error_before(target)
            if error is not None:
                raise error(
                    f"sandbox {target} failed (injected {fault.kind}, call {calls})"
                )
        return fired
