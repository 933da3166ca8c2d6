"""Kill the process between a provider's answer and the step's checkpoint.

``ProcessKilled`` is a SystemExit, a BaseException like the SDK's own control
flow, so no ``except Exception`` in the workflow or the SDK can swallow it: it
ends the invocation the way SIGKILL or an out-of-memory kill would, with the
provider's effect made and no checkpoint written. (SystemExit rather than a bare
BaseException because the SDK's instrumentation-plugin hooks let only
thread-control exceptions through; tests/crash/matrix.py kills from there.)
The workflow harness turns it into the invocation error Lambda reports for a
dead process, and the runner invokes the handler again, which replays and runs
the step once more.
"""

from __future__ import annotations

from typing import Any


class ProcessKilled(SystemExit):  # like the SDK's SuspendExecution: not an Error
    """The process running the handler died mid-invocation."""


class CrashAfter:
    """One provider whose ``method`` acts, then kills the process, ``times`` times."""

    def __init__(self, inner: Any, method: str, times: int = 1) -> None:
        self._inner = inner
        self._method = method
        self.crashes_left = times
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name != self._method:
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            result = attr(*args, **kwargs)
            if self.crashes_left > 0:
                self.crashes_left -= 1
                raise ProcessKilled(f"killed after {name} answered")
            return result

        return call


class CrashingProviders:
    """``Providers`` with one provider's method crashing after it acts."""

    def __init__(self, inner: Any, provider: str, method: str, times: int = 1) -> None:
        self.inventory = inner.inventory
        self.payment = inner.payment
        self.shipping = inner.shipping
        self.crasher = CrashAfter(getattr(inner, provider), method, times)
        setattr(self, provider, self.crasher)
