"""Order factories and sample-event loading for tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[2] / "events"


def load_event(name: str) -> Any:
    """A JSON file from events/, parsed."""
    return json.loads((EVENTS / name).read_text())


def low_risk_order(order_id: str = "ORD-T-LOW", **changes: Any) -> dict[str, Any]:
    """The low-risk sample with a fresh id and any top-level changes."""
    order: dict[str, Any] = copy.deepcopy(load_event("order-low-risk.json"))
    order.update(order_id=order_id, **changes)
    return order


def high_risk_order(order_id: str = "ORD-T-HIGH", **changes: Any) -> dict[str, Any]:
    """The high-risk sample (one approver) with a fresh id and changes."""
    order: dict[str, Any] = copy.deepcopy(load_event("order-high-risk.json"))
    order.update(order_id=order_id, **changes)
    return order
