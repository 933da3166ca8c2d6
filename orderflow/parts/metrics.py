"""The workflows' metrics: CloudWatch embedded metric format through Powertools.

A metric rides on a log line (``logs.METRICS`` among its fields) and is written
as its own EMF object when the line is: so a metric follows the line's rules,
once per attempt, never again on replay (orderflow/parts/logs.py). Each has
the dimensions ``service``, ``process`` (the subject's kind) and its own, as
docs/monitoring.md lists them with their meanings; the dashboard
(template.yaml, OperationsDashboard) reads them, and
tests/workflow/test_workflow_metrics.py checks that every metric it shows is
one the workflows emit. Powertools is imported at the first metric, not with
this module (tests/unit/test_cold_start.py). EMF is a log line: no
PutMetricData call, no permission.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# The names, by what they count (docs/monitoring.md, "Workflow metrics").
SUBJECTS_ROUTED = "SubjectsRouted"  # + route: where intake sent a subject
SUBJECTS_ENDED = "SubjectsEnded"  # + status: the terminal status recorded
APPROVAL_WAIT = "ApprovalWaitSeconds"  # + answer: from the ask to its answer
UNVERIFIED = "UnverifiedCompletions"  # a callback no decision of record backs
RETRIES = "OperationRetries"  # + operation: a step's attempt after the first
COMPENSATIONS = "Compensations"  # + operation: an undo that undid something
REPAIRS = "ReconciliationRepairs"  # + operation: a repair reconciliation made
REFUNDS = "Refunds"  # + operation: money given back to the customer
REFUNDED_CENTS = "RefundedCents"  # + operation: how much, in minor units
# Counted per operation: the line's own operation is their dimension.
BY_OPERATION = frozenset({RETRIES, COMPENSATIONS, REPAIRS, REFUNDS, REFUNDED_CENTS})


@dataclass(frozen=True)
class Metric:
    """One value of one metric, with the dimensions of its own."""

    name: str
    dimensions: Mapping[str, str] = field(default_factory=dict)
    value: float = 1
    unit: str = "Count"


def emit(process: str, operation: str, metrics: Iterable[Metric]) -> None:
    """Write each metric as an EMF object on stdout; a bad one is lost alone.

    ``operation``: the line's, the dimension of the metrics ``BY_OPERATION``.
    """
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "orderflow"
    service = os.environ.get("POWERTOOLS_SERVICE_NAME") or "orderflow"
    for m in metrics:
        try:
            # Ephemeral: its own state, so concurrent lines never mix metrics.
            one = EphemeralMetrics(namespace=namespace, service=service)
            one.add_metric(name=m.name, unit=MetricUnit(m.unit), value=m.value)
            dimensions = {"process": process, **m.dimensions}
            if m.name in BY_OPERATION:
                dimensions["operation"] = operation
            for name, value in dimensions.items():
                one.add_dimension(name=name, value=value)
            blob = json.dumps(one.serialize_metric_set(), separators=(",", ":"))
        except Exception:  # a metric that cannot be written never fails a step
            logging.getLogger(__name__).warning("metric dropped: %s", m.name)
            continue
        sys.stdout.write(blob + "\n")
