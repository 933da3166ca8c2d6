"""events/: every function has a sample event, and every event named exists."""

from __future__ import annotations

import json
import re

from tests.utils.orders import EVENTS
from tests.utils.template import Stack

ROW = re.compile(r"^\| (\w+Function) \| ([\w.-]+\.json) \|", re.MULTILINE)
ROWS = ROW.findall((EVENTS / "README.md").read_text())


def test_every_function_has_a_sample_event() -> None:
    assert set(Stack().functions()) <= {function for function, _ in ROWS}


def test_every_event_named_exists_and_is_json() -> None:
    for _, name in ROWS:
        assert isinstance(json.loads((EVENTS / name).read_text()), dict), name


def test_every_status_event_names_the_stacks_orchestrator_or_says_it_does_not() -> None:
    prefix = "arn:aws:lambda:us-east-1:123456789012:function:orderflow-order-workflow:"
    for path in EVENTS.glob("status-event.*.json"):
        arn = json.loads(path.read_text())["detail"]["functionArn"]
        assert arn.startswith(prefix) != ("other-function" in path.name), path.name
