"""What every process's steps need: the store, settings, a notifier and a clock.

A process adds what its own steps call (the order's providers: its ``Deps`` in
orderflow/processes/orders/deps.py); the parts ask only for this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from orderflow.adapters.notifiers import notifier_for
from orderflow.config import Settings
from orderflow.ports import Notifier, Store


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class StepDeps:
    """The store, settings, a clock, and how approval emails go out."""

    store: Store
    settings: Settings = field(default_factory=Settings)
    now: Callable[[], datetime] = _utcnow
    # How approval emails go out; from settings (SES or the outbox) when None.
    notifier: Notifier | None = None

    def __post_init__(self) -> None:
        if self.notifier is None:
            self.notifier = notifier_for(self.store, self.settings.mail_from)

    def stamp(self) -> str:
        """The current time as ISO 8601, UTC."""
        return self.now().isoformat()
