"""The return workflow's Lambda handler: the package's workflow, bound to its deps.

The flow is orderflow/processes/returns/workflow.py's; this module only builds
the dependencies from the environment.
"""

from __future__ import annotations

import functools

from orderflow.adapters.sandbox import SandboxProvider
from orderflow.adapters.stores import store_from_url
from orderflow.config import Settings
from orderflow.parts.durable import durable_handler
from orderflow.processes.returns.deps import ReturnDeps
from orderflow.processes.returns.settings import ReturnSettings
from orderflow.processes.returns.workflow import make_workflow


@functools.cache
def default_deps() -> ReturnDeps:
    """Dependencies from the environment, built once per process."""
    settings = Settings.from_env()
    store = store_from_url(settings.store_url)
    return ReturnDeps(
        store=store,
        provider=SandboxProvider(store, settings.faults),
        settings=settings,
        returns=ReturnSettings.from_env(),
    )


lambda_handler = durable_handler(make_workflow(default_deps))
