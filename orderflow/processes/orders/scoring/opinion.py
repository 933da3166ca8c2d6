"""The risk model's opinion of one order: score, reasons, range check, identity.

The validation step imports this module inside its body (never at the top of
the workflow), so only an invocation that actually validates an order loads it.
"""

from __future__ import annotations

from orderflow.processes.orders.order import Order
from orderflow.processes.orders.risk import ModelOpinion
from orderflow.processes.orders.scoring import explain, runtime
from orderflow.processes.orders.scoring.features import extract


def opinion(
    order: Order, *, path: str, sha256: str, reasons: bool = True
) -> ModelOpinion:
    """Score ``order`` with the artifact at ``path`` (loaded once per process).

    ``reasons=False`` skips the explanation (training's evaluation needs scores
    only); the score is the same either way.

    Raises:
        ModelArtifactError: the artifact is missing or not the expected bytes.
    """
    scorer = runtime.cached(path, sha256)
    x = extract(order)
    parts = scorer.components(x)
    pattern = parts.pattern_score()
    anomaly = scorer.anomaly_score(parts.anomaly)
    score = scorer.score_of(parts)
    return ModelOpinion(
        score=round(score),
        pattern=round(pattern),
        anomaly=round(anomaly),
        signals=explain.signals(scorer, order, x, parts)
        if reasons and score >= explain.MIN_POINTS
        else (),
        out_of_range=explain.out_of_range(scorer, order, x),
        version=scorer.version,
        sha256=scorer.sha256,
    )
