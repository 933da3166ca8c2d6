"""The serving runtime: a missing or corrupt artifact fails loudly; ranges hold."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from orderflow.config import ModelConfig
from orderflow.processes.orders.order import parse_order
from orderflow.processes.orders.scoring import runtime
from orderflow.processes.orders.scoring.features import INDEX, extract
from tests.utils.orders import load_event


def test_missing_artifact_names_the_path_and_the_expected_checksum(
    tmp_path: Path,
) -> None:
    where = tmp_path / "gone.json"

    with pytest.raises(runtime.ModelArtifactError) as caught:
        runtime.load(where, "ab" * 32)

    assert str(where) in str(caught.value)
    assert f"expected a file with sha256 {'ab' * 32}" in str(caught.value)


def test_corrupt_artifact_names_the_path_and_both_checksums(
    tmp_path: Path, model: ModelConfig
) -> None:
    where = tmp_path / "risk-model.json"
    blob = bytearray(Path(model.path).read_bytes())
    blob[1000] ^= 0x01  # one flipped bit
    where.write_bytes(bytes(blob))

    with pytest.raises(runtime.ModelArtifactError) as caught:
        runtime.load(where, model.sha256)

    message = str(caught.value)
    assert str(where) in message
    assert f"expected {model.sha256}" in message
    assert hashlib.sha256(blob).hexdigest() in message


def test_truncated_artifact_is_refused_before_it_is_parsed(
    tmp_path: Path, model: ModelConfig
) -> None:
    where = tmp_path / "risk-model.json"
    where.write_bytes(Path(model.path).read_bytes()[:5000])

    with pytest.raises(runtime.ModelArtifactError, match="is corrupt"):
        runtime.load(where, model.sha256)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.update(format="something-else/9"), "has format"),
        (lambda a: a.pop("gbm"), "cannot be read: KeyError"),
    ],
)
def test_well_hashed_but_unreadable_artifact_is_refused(
    tmp_path: Path, model: ModelConfig, change: object, message: str
) -> None:
    artifact = json.loads(Path(model.path).read_text())
    change(artifact)  # type: ignore[operator]
    blob = json.dumps(artifact).encode()
    where = tmp_path / "other.json"
    where.write_bytes(blob)

    with pytest.raises(runtime.ModelArtifactError, match=re.escape(message)):
        runtime.load(where, hashlib.sha256(blob).hexdigest())


def test_cached_loads_each_artifact_once(tmp_path: Path, model: ModelConfig) -> None:
    copy = tmp_path / "copy.json"
    shutil.copy(model.path, copy)

    first = runtime.cached(str(copy), model.sha256)

    assert runtime.cached(str(copy), model.sha256) is first
    assert first.sha256 == model.sha256


def test_components_are_probabilities_and_the_score_is_on_0_to_100(
    scorer: runtime.Scorer,
) -> None:
    for name in ("order-low-risk.json", "order-high-risk.json"):
        x = extract(parse_order(load_event(name)))
        parts = scorer.components(x)

        assert 0 < parts.pattern < 1
        assert 0 < parts.anomaly < 1
        assert 0 <= scorer.model_score(x) <= 100


def test_each_estimator_alone_gives_what_components_give(
    scorer: runtime.Scorer,
) -> None:
    # The explanation asks one estimator at a time; it must agree to the bit.
    for name in ("order-low-risk.json", "order-high-risk.json"):
        x = extract(parse_order(load_event(name)))
        parts = scorer.components(x)

        assert (scorer.raw(x), scorer.anomaly(x)) == (parts.raw, parts.anomaly)


def test_anomaly_score_is_capped_below_any_reject_bar(scorer: runtime.Scorer) -> None:
    assert scorer.anomaly_score(1.0) == max(scorer.knots_y) == 60
    assert scorer.anomaly_score(0.0) == 0


def test_features_far_outside_the_training_range_are_named(
    scorer: runtime.Scorer,
) -> None:
    x = extract(parse_order(load_event("order-low-risk.json")))
    assert scorer.out_of_range(x) == []

    x[INDEX["orders_last_24h_log2"]] = 50.0
    x[INDEX["lines"]] = -3.0

    assert set(scorer.out_of_range(x)) == {"orders_last_24h_log2", "lines"}


def test_inputs_are_rounded_to_float32_as_scikit_learn_sees_them() -> None:
    assert runtime.as_float32([0.1, 2.0]) == [0.10000000149011612, 2.0]
