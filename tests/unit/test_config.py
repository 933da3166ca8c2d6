"""Settings.from_env: every variable parsed, defaults kept, bad integers named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orderflow.config import MODEL_DIR, ModelConfig, Settings, read_routing_file
from orderflow.processes.orders.routing import RoutingPolicy

INTEGER_VARIABLES = [
    "ORDERFLOW_APPROVAL_TIMEOUT_SECONDS",
    "ORDERFLOW_MAX_BODY_BYTES",
    "ORDERFLOW_ONE_APPROVER_FROM",
    "ORDERFLOW_TWO_APPROVERS_FROM",
    "ORDERFLOW_REJECT_FROM",
]


def test_empty_environment_gives_the_defaults() -> None:
    assert Settings.from_env({}) == Settings()


def test_defaults_are_the_documented_ones() -> None:
    settings = Settings()
    routing = json.loads((MODEL_DIR / "routing.json").read_text())

    assert settings.approval_timeout_seconds == 86_400
    assert settings.max_body_bytes == 65_536
    assert settings.approvers == ("approver@example.com", "manager@example.com")
    assert settings.routing == RoutingPolicy(
        **routing["thresholds"], two_approvers_value_cents=10_000_00
    )
    assert settings.model == ModelConfig(
        path=str(MODEL_DIR / "risk-model.json"),
        sha256=routing["model"]["sha256"],
        version=routing["model"]["version"],
    )


def write_routing(directory: Path, **changes: object) -> Path:
    """A copy of models/routing.json in ``directory`` with top-level changes."""
    data = json.loads((MODEL_DIR / "routing.json").read_text()) | changes
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "routing.json").write_text(json.dumps(data))
    return directory


def test_model_dir_variable_reads_that_directory_routing_file(tmp_path: Path) -> None:
    where = write_routing(
        tmp_path / "m",
        thresholds={
            "one_approver_from": 11,
            "two_approvers_from": 22,
            "reject_from": 33,
        },
        approvers=["ops@example.com"],
        two_approvers_value_cents=500_00,
    )

    settings = Settings.from_env({"ORDERFLOW_MODEL_DIR": str(where)})

    assert settings.routing == RoutingPolicy(11, 22, 33, 500_00)
    assert settings.approvers == ("ops@example.com",)
    assert settings.model.path == str(where / "risk-model.json")


def test_threshold_variables_override_the_routing_file(tmp_path: Path) -> None:
    where = write_routing(tmp_path / "m")

    settings = Settings.from_env(
        {"ORDERFLOW_MODEL_DIR": str(where), "ORDERFLOW_REJECT_FROM": "101"}
    )

    assert settings.routing.reject_from == 101
    assert settings.routing.one_approver_from == Settings().routing.one_approver_from


@pytest.mark.parametrize("content", [None, "{not json", '{"thresholds": {}}'])
def test_missing_or_malformed_routing_file_is_refused_naming_it(
    tmp_path: Path, content: str | None
) -> None:
    if content is not None:
        (tmp_path / "routing.json").write_text(content)

    with pytest.raises(ValueError, match=f"routing config {tmp_path}/routing.json"):
        read_routing_file(tmp_path)


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "ORDERFLOW_STORE": "dynamodb://orders",
            "ORDER_WORKFLOW_FUNCTION": "arn:aws:lambda:eu-west-1:1:function:wf:live",
            "ORDERFLOW_PUBLIC_URL": "https://shop.example.com/api/",
            "ORDERFLOW_APPROVAL_TIMEOUT_SECONDS": "600",
            "ORDERFLOW_APPROVERS": " a@example.com, ,b@example.com ,",
            "ORDERFLOW_FAULTS": "payment.capture=2x:transient",
            "ORDERFLOW_MAX_BODY_BYTES": "1024",
            "ORDERFLOW_ONE_APPROVER_FROM": "20",
            "ORDERFLOW_TWO_APPROVERS_FROM": "50",
            "ORDERFLOW_REJECT_FROM": "80",
        }
    )

    assert settings == Settings(
        store_url="dynamodb://orders",
        workflow_function="arn:aws:lambda:eu-west-1:1:function:wf:live",
        public_url="https://shop.example.com/api",
        approval_timeout_seconds=600,
        approvers=("a@example.com", "b@example.com"),
        faults="payment.capture=2x:transient",
        max_body_bytes=1024,
        routing=RoutingPolicy(
            one_approver_from=20, two_approvers_from=50, reject_from=80
        ),
    )


@pytest.mark.parametrize("blank", ["", " , ,"])
def test_blank_approver_list_keeps_the_default_approvers(blank: str) -> None:
    assert (
        Settings.from_env({"ORDERFLOW_APPROVERS": blank}).approvers
        == Settings().approvers
    )


@pytest.mark.parametrize("name", INTEGER_VARIABLES)
def test_empty_integer_variable_falls_back_to_its_default(name: str) -> None:
    assert Settings.from_env({name: ""}) == Settings()


@pytest.mark.parametrize("name", INTEGER_VARIABLES)
@pytest.mark.parametrize("raw", ["ten", "1.5", "0x10", "12 seconds"])
def test_bad_integer_is_refused_naming_the_variable_and_value(
    name: str, raw: str
) -> None:
    with pytest.raises(ValueError, match=f"{name} must be an integer, got '{raw}'"):
        Settings.from_env({name: raw})


def test_integers_tolerate_surrounding_whitespace() -> None:
    assert (
        Settings.from_env({"ORDERFLOW_MAX_BODY_BYTES": " 2048 "}).max_body_bytes == 2048
    )


def test_thresholds_that_do_not_rise_are_refused() -> None:
    with pytest.raises(ValueError, match="thresholds must rise"):
        Settings.from_env({"ORDERFLOW_REJECT_FROM": "50"})


def test_without_a_mapping_it_reads_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDERFLOW_APPROVAL_TIMEOUT_SECONDS", "42")
    monkeypatch.setenv("ORDERFLOW_STORE", "sqlite:///tmp/x.db")

    settings = Settings.from_env()

    assert settings.approval_timeout_seconds == 42
    assert settings.store_url == "sqlite:///tmp/x.db"
