"""What the steps need: the store, the providers, settings and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from orderflow.config import Settings
from orderflow.ports import Providers, Store


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    """What the steps need: the store, the providers, settings and a clock."""

    store: Store
    provider: Providers  # inventory, payment and shipping
    settings: Settings = field(default_factory=Settings)
    now: Callable[[], datetime] = _utcnow

    def stamp(self) -> str:
        """The current time as ISO 8601, UTC."""
        return self.now().isoformat()
