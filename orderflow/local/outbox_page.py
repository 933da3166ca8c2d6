"""GET /outbox on the local stack: the approval emails, as a mailbox page.

Local only: no function in template.yaml serves it, and AWS has no such route.
The local HTTP API calls ``OutboxPage`` directly; in AWS the emails go out
through SES instead.
"""

from __future__ import annotations

from orderflow.adapters.stores import store_from_url
from orderflow.parts.approvals.pages import mailbox


class OutboxPage:
    """Renders the outbox of the store at ``store_url``."""

    path = "/outbox"

    def __init__(self, store_url: str) -> None:
        self.store_url = store_url

    def __call__(self, query: str = "") -> tuple[int, dict[str, str], bytes]:
        """Status, headers (the approval pages' own) and body."""
        return mailbox(store_from_url(self.store_url).list_outbox()).response()
