"""The expense claim workflow's Lambda handler (orderflow/processes/expenses)."""

from __future__ import annotations

import functools

from orderflow.adapters.stores import store_from_url
from orderflow.config import Settings
from orderflow.parts.deps import StepDeps
from orderflow.parts.durable import durable_handler
from orderflow.processes.expenses.workflow import make_workflow


@functools.cache
def default_deps() -> StepDeps:
    """Dependencies from the environment, built once per process."""
    settings = Settings.from_env()
    return StepDeps(store=store_from_url(settings.store_url), settings=settings)


lambda_handler = durable_handler(make_workflow(default_deps))
