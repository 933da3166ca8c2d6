"""GET /timeline?order=ID on the local stack: an order's compute against its waiting.

Local only, like /outbox: the invocations come from the local Lambda endpoint's
log, which AWS does not have (there, the execution history and the dashboard's
compute-versus-waiting widget say the same). Each invocation and each wait
between them is a bar on one time axis, drawn as SVG: no script, no inline style.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

from orderflow.adapters.stores import store_from_url
from orderflow.local.report import execution_report
from orderflow.parts.approvals.pages import ROOT_CSS_HREF, Page, render

WIDTH = 600  # the SVG's user units across the whole execution


class TimelinePage:
    """Renders one order's timeline from the stack's state in ``home``."""

    path = "/timeline"

    def __init__(self, home: Path) -> None:
        self.home = home

    def __call__(self, query: str = "") -> tuple[int, dict[str, str], bytes]:
        """Status, headers (the approval pages' own) and body."""
        return self.page(parse_qs(query).get("order", [""])[0]).response()

    def page(self, order_id: str) -> Page:
        """The timeline page of ``order_id``, or a 404 page that says why."""
        record = store_from_url(f"sqlite:{self.home / 'orderflow.db'}").get_subject(
            order_id
        )
        if record is None or not record.execution_arn:
            why = (
                f"No order {order_id!r} with an execution."
                if order_id
                else "Name an order: /timeline?order=ORDER_ID."
            )
            return render("timeline.html", 404, problem=why, css_href=ROOT_CSS_HREF)
        report = execution_report(self.home, record.execution_arn)
        scale = WIDTH / max(report["wall_ms"], 1e-9)
        bars = [
            {
                **seg,
                "x": seg["offset_ms"] * scale,
                "width": max(seg["ms"] * scale, 1.0),
                "seconds": seg["ms"] / 1000,
            }
            for seg in report["timeline"]
        ]
        return render(
            "timeline.html",
            order_id=order_id,
            order_status=record.status,
            history=record.history,
            report=report,
            bars=bars,
            width=WIDTH,
            css_href=ROOT_CSS_HREF,
        )
