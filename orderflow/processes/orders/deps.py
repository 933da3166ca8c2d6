"""What the order's steps need: the parts' dependencies and the three providers."""

from __future__ import annotations

from dataclasses import dataclass, field

from orderflow.parts.deps import StepDeps
from orderflow.ports import Providers


@dataclass
class Deps(StepDeps):
    """The store, settings, clock and notifier, plus inventory, payment, shipping."""

    provider: Providers = field(kw_only=True)
