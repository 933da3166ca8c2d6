"""No token at rest: what the DynamoDB adapter writes in the default deployment.

With no mail sender configured (the default), nothing emails the approver: the
outbox keeps the email, and an operator re-issues a link through the desk. These
tests run the real order workflow in the testing runner on a DynamoDB table
under moto, capture every token the workflow and the desk mint (what the
notifier is handed, what the re-issue prints) and scan every item of the table
for them: only their hashes may be there.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orderflow.adapters.dynamodb_store import DynamoDbStore, table_definition
from orderflow.domain.records import OutboxMessage
from orderflow.parts.approvals.desk import ApprovalDesk, Client
from orderflow.parts.approvals.links import csrf_value, token_hash
from orderflow.parts.approvals.mail import WITHHELD, links_in
from orderflow.parts.approvals.reissue import reissue_link
from orderflow.ports import Notifier
from orderflow.registry import approval_views
from tests.utils.approvals import SECRET, RunnerCallbacks
from tests.utils.deployed import aws_credentials
from tests.utils.orders import high_risk_order
from tests.workflow.conftest import Harness, body

TABLE = "orderflow-at-rest"


@dataclass
class Handed:
    """A notifier that notes each message it is handed, then delivers it."""

    inner: Notifier
    messages: list[OutboxMessage] = field(default_factory=list)

    def deliver(self, message: OutboxMessage) -> None:
        self.messages.append(message)
        self.inner.deliver(message)

    @property
    def tokens(self) -> list[str]:
        return [u.rsplit("/", 1)[1] for m in self.messages for u in links_in(m.body)]


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoDbStore]:
    aws_credentials(monkeypatch)
    with mock_aws():
        boto3.client("dynamodb").create_table(**table_definition(TABLE))
        yield DynamoDbStore(TABLE)


def every_item(store: DynamoDbStore) -> list[dict[str, Any]]:
    """Every item of the table, as DynamoDB returned it (a full scan)."""
    items: list[dict[str, Any]] = []
    args: dict[str, Any] = {"TableName": TABLE}
    while True:
        page = store.client.scan(**args)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        args["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def holding(items: list[dict[str, Any]], tokens: list[str]) -> list[str]:
    """The keys of the items whose text holds any of ``tokens``."""
    return [
        f"{i['pk']['S']} / {i['sk']['S']}"
        for i in items
        if any(t in json.dumps(i) for t in tokens)
    ]


def waiting(
    harness: Callable[..., Harness], store: DynamoDbStore, order_id: str
) -> tuple[Harness, Handed, str]:
    """The order's workflow on ``store``, suspended on its approval."""
    h = harness(store=store)
    assert h.deps.settings.mail_from == "", "the default deployment sends no mail"
    assert h.deps.notifier is not None
    handed = Handed(h.deps.notifier)
    h.deps.notifier = handed
    arn = h.start(high_risk_order(order_id))
    h.callback_id(arn)
    assert len(handed.tokens) == 1, "the workflow minted one link"
    return h, handed, arn


def test_a_waiting_approval_leaves_no_token_in_the_table(
    harness: Callable[..., Harness], table: DynamoDbStore
) -> None:
    _, handed, _ = waiting(harness, table, "ORD-REST-1")

    items = every_item(table)

    assert holding(items, handed.tokens) == []
    (token,) = handed.tokens
    assert {"S": f"LINK#{token_hash(token)}"} in [i["pk"] for i in items]


def test_a_whole_approval_through_a_reissued_link_leaves_only_hashes(
    harness: Callable[..., Harness], table: DynamoDbStore
) -> None:
    h, handed, arn = waiting(harness, table, "ORD-REST-2")
    (emailed,) = table.list_outbox(subject_id="ORD-REST-2")
    assert links_in(emailed.body) == [] and WITHHELD in emailed.body

    issued = reissue_link(
        table, "ORD-REST-2", public_url=h.deps.settings.public_url, operator="ops"
    )
    token = issued.link.rsplit("/", 1)[1]
    link = table.get_link(token_hash(token))
    assert link is not None
    desk = ApprovalDesk(
        table, RunnerCallbacks(h.runner), secret=SECRET, views=approval_views()
    )
    page = desk.decide(
        token, {"csrf": csrf_value(SECRET, link), "decision": "approve"}, Client()
    )
    assert page.status == 200, page.body
    assert body(h.result(arn))["status"] == "COMPLETED"

    items = every_item(table)
    tokens = [*handed.tokens, token]
    assert holding(items, tokens) == []
    links = {i["pk"]["S"] for i in items if i["sk"]["S"] == "LINK"}
    assert links == {f"LINK#{token_hash(t)}" for t in tokens}
    actions = [e.action for e in table.list_audit("ORD-REST-2")]
    assert actions[:3] == ["requested", "reissued", "approved"]
