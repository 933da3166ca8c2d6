"""What the steps need: the store, the providers, settings and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from orderflow.adapters.notifiers import notifier_for
from orderflow.config import Settings
from orderflow.ports import Notifier, Providers, Store


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    """What the steps need: the store, the providers, settings and a clock."""

    store: Store
    provider: Providers  # inventory, payment and shipping
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
