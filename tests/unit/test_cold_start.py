"""The orchestrator's cold start: what importing its handler must not load.

Every invocation of a durable function after a suspension is a replay, and may
land on a new sandbox: the import is paid again. bench/bench_coldstart.py measured
the orchestrator at 1.44x the durable SDK's own import while it loaded pydantic
(the order models) at import time; deferred to the validation step, 1.05x. This
test keeps heavy packages out of the import itself, without timing anything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Loaded only inside the steps that need them, never at import: the order models
# (pydantic), the HTTP toolkit, and an ML runtime the scorer may bring.
HEAVY = ("pydantic", "aws_lambda_powertools", "numpy", "sklearn", "onnxruntime")


def test_importing_the_orchestrator_loads_no_heavy_package(tmp_path: Path) -> None:
    code = (
        "import json, sys\nimport app\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    env = {
        **os.environ,
        "ORDERFLOW_STORE": f"sqlite:{tmp_path / 'o.db'}",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "functions" / "order_workflow",  # as Lambda imports it
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))

    assert "aws_durable_execution_sdk_python" in loaded  # the import really ran
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
