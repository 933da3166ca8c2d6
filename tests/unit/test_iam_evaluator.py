"""Known answers of tests/utils/iam.py, which the least-privilege tests trust."""

from __future__ import annotations

from typing import Any

import pytest

from tests.utils.iam import Principal, Request, covers, glob_match, key_allows

TABLE = "arn:aws:dynamodb:us-east-1:1:table/t"
ROOT = "arn:aws:iam::1:root"
SCOPED: dict[str, Any] = {
    "Effect": "Allow",
    "Action": "dynamodb:GetItem",
    "Resource": TABLE,
    "Condition": {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["LINK#*"]},
        "Null": {"dynamodb:LeadingKeys": "false"},
    },
}


def get(*keys: str) -> Request:
    context = {"dynamodb:LeadingKeys": keys} if keys else {}
    return Request.of("dynamodb:GetItem", TABLE, context)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (("LINK#h",), True),
        (("ORDER#1",), False),
        (("LINK#h", "ALERT#x"), False),
        ((), False),
    ],
)
def test_leading_keys_every_value_must_match_and_be_present(
    keys: tuple[str, ...], expected: bool
) -> None:
    assert covers(SCOPED, get(*keys)) is expected


def test_for_all_values_alone_holds_for_a_request_without_the_key() -> None:
    loose = {
        **SCOPED,
        "Condition": {
            "ForAllValues:StringLike": SCOPED["Condition"]["ForAllValues:StringLike"]
        },
    }

    assert covers(loose, get())


def test_wildcards_and_arn_parts() -> None:
    arn = "arn:aws:logs:r:1:log-group:/aws/lambda/app-other-api"
    like = {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}

    assert glob_match("app-AbC123", "app-??????")
    assert not glob_match("app-AbC1234", "app-??????")
    assert covers(
        like
        | {
            "Condition": {
                "ArnLike": {"k": "arn:aws:logs:r:1:log-group:/aws/lambda/app-*"}
            }
        },
        Request.of("kms:Decrypt", "x", {"k": arn}),
    )
    assert not covers(
        like | {"Condition": {"ArnEquals": {"k": arn.replace("-other", "")}}},
        Request.of("kms:Decrypt", "x", {"k": arn}),
    )
    assert not covers(
        like | {"Condition": {"StringEquals": {"k": "v"}}},
        Request.of("kms:Decrypt", "x"),
    )


def test_a_key_policy_naming_the_account_defers_to_iam() -> None:
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": ROOT},
                "Action": "kms:Decrypt",
                "Resource": "*",
            }
        ]
    }
    allowed = ({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:k"},)
    request = Request.of("kms:Decrypt", "arn:k")

    assert key_allows(
        policy, Principal(arn="arn:r", identity=allowed), request, account_root=ROOT
    )
    assert not key_allows(policy, Principal(arn="arn:r"), request, account_root=ROOT)
    assert not key_allows(
        policy, Principal(service="logs.amazonaws.com"), request, account_root=ROOT
    )
