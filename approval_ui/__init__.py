"""The approval page: Jinja2 templates and one stylesheet, no JavaScript.

Rendered by ``orderflow.parts.approvals.pages`` for functions/approval_api (and, on the
local stack only, for the GET /outbox mailbox). Shipped in the shared layer as
package data, so the approval function reads them from ``/opt/python``.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"
