"""What the return's steps need: the parts' dependencies, providers, its settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from orderflow.parts.deps import StepDeps
from orderflow.ports import Providers
from orderflow.processes.returns.settings import ReturnSettings


@dataclass
class ReturnDeps(StepDeps):
    """The store, settings, clock and notifier, the providers and return settings."""

    provider: Providers = field(kw_only=True)
    returns: ReturnSettings = field(default_factory=ReturnSettings, kw_only=True)
