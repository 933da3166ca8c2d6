"""Claims in a keyed sequence: a lost race reads again and decides again."""

from __future__ import annotations

import threading

import pytest

from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.records import Effect
from orderflow.parts.claims import ClaimContendedError, append_next, sequence


def _take(store: SqliteStore, units: int, limit: int, who: str) -> Effect | None:
    """Claim ``units`` of ``limit`` in the sequence S, unless too few are left."""

    def decide(held: list[Effect], key: str) -> Effect | None:
        if sum(e.quantity for e in held) + units > limit:
            return None
        return Effect(key, "P", "test", "claim", quantity=units, reference=who)

    return append_next(store, partition="P", prefix="S", decide=decide)


def test_claims_take_the_next_key_and_stop_at_the_limit(store: SqliteStore) -> None:
    first = _take(store, 2, 3, "a")
    refused = _take(store, 2, 3, "b")
    second = _take(store, 1, 3, "c")

    assert first is not None and first.idempotency_key == "S:1"
    assert refused is None
    assert second is not None and second.idempotency_key == "S:2"


def test_claims_made_at_once_never_pass_the_limit(store: SqliteStore) -> None:
    start = threading.Barrier(6)
    won: list[Effect | None] = [None] * 6

    def claim(i: int) -> None:
        start.wait()
        won[i] = _take(store, 1, 2, f"w{i}")

    workers = [threading.Thread(target=claim, args=(i,)) for i in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    assert sum(e is not None for e in won) == 2
    assert len(sequence(store.list_effects("P"), "S")) == 2


def test_a_sequence_is_only_its_numbered_keys() -> None:
    effects = [
        Effect("S:1", "P", "t", "a"),
        Effect("S:x", "P", "t", "a"),
        Effect("S-2:1", "P", "t", "a"),
    ]

    assert [e.idempotency_key for e in sequence(effects, "S")] == ["S:1"]


def test_a_decision_under_another_key_is_a_bug(store: SqliteStore) -> None:
    with pytest.raises(ValueError, match="S:1"):
        append_next(
            store,
            partition="P",
            prefix="S",
            decide=lambda _, __: Effect("other", "P", "t", "a"),
        )


def test_a_key_taken_every_time_gives_up_with_a_named_error(
    store: SqliteStore,
) -> None:
    store.record_effect(Effect("S:1", "elsewhere", "t", "a"))

    with pytest.raises(ClaimContendedError):
        append_next(
            store,
            partition="P",
            prefix="S",
            decide=lambda _, key: Effect(key, "P", "t", "a"),
        )
