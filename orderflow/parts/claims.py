"""Claims in a keyed sequence: a read-then-write made atomic by the store's keys.

A sequence is the effects whose keys are ``<prefix>:1``, ``<prefix>:2``, ... in
one ledger partition. ``append_next`` reads the sequence, lets the caller decide
the next entry from what it holds (a refund capped by earlier refunds, units
capped by those already returned), and records it under ``<prefix>:<n+1>`` with
the store's insert-unless-key-exists. Two callers who read the same sequence
race for the same key: one wins; the other reads again and decides again, now
seeing the winner's entry. No entry is ever decided on a stale read.
"""

from __future__ import annotations

from collections.abc import Callable

from orderflow.domain.errors import OrderflowError
from orderflow.domain.records import Effect
from orderflow.ports import Store

MAX_ATTEMPTS = 25
Decide = Callable[[list[Effect], str], Effect | None]


class ClaimContendedError(OrderflowError):
    """Others kept winning the next key of a sequence: try again later."""


def sequence(effects: list[Effect], prefix: str) -> list[Effect]:
    """The entries of the sequence ``prefix`` among ``effects``, in order."""
    head = prefix + ":"
    return [
        e
        for e in effects
        if e.idempotency_key.startswith(head)
        and e.idempotency_key[len(head) :].isdigit()
    ]


def append_next(
    store: Store, *, partition: str, prefix: str, decide: Decide
) -> Effect | None:
    """Record the entry ``decide`` makes as the sequence's next, atomically.

    Args:
        store: where the sequence lives.
        partition: the ledger partition (``list_effects``) holding it.
        prefix: the keys' common start; entry n is ``<prefix>:<n>``.
        decide: given the sequence so far and the next key, the effect to record
            under that key, or None for nothing to record.

    Returns:
        The recorded effect, or None when ``decide`` declined.

    Raises:
        ClaimContendedError: the next key was taken ``MAX_ATTEMPTS`` times running.
    """
    for _ in range(MAX_ATTEMPTS):
        held = sequence(store.list_effects(partition), prefix)
        last = max((int(e.idempotency_key.rsplit(":", 1)[1]) for e in held), default=0)
        key = f"{prefix}:{last + 1}"
        made = decide(held, key)
        if made is None:
            return None
        if made.idempotency_key != key or made.order_id != partition:
            raise ValueError(f"decide must record under {key} in {partition}")
        stored, new = store.record_effect(made)
        if new:
            return stored
    raise ClaimContendedError(f"{prefix}: the next entry was contended; try again")
