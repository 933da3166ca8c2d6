"""docs/openapi.json is generated (scripts/openapi.py), complete and current."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from orderflow.local.template import read_functions

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "openapi.py"
DOCUMENT = ROOT / "docs" / "openapi.json"


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_published_document_is_what_the_generator_builds_today() -> None:
    run = _script("--check")

    assert run.returncode == 0, run.stderr


def test_a_stale_document_is_caught(tmp_path: Path) -> None:
    stale = json.loads(DOCUMENT.read_text())
    del stale["paths"]["/health"]
    (tmp_path / "openapi.json").write_text(json.dumps(stale, indent=2) + "\n")

    run = _script("--check", "--output", str(tmp_path / "openapi.json"))

    assert run.returncode == 1
    assert "stale" in run.stderr


def test_every_route_of_the_template_is_in_the_document() -> None:
    document = json.loads(DOCUMENT.read_text())
    routes = {
        (route.method.lower(), route.path)
        for spec in read_functions(ROOT / "template.yaml").values()
        for route in spec.routes
    }
    published = {
        (method, path)
        for path, operations in document["paths"].items()
        for method in operations
    }

    assert published == routes


def test_a_route_added_to_the_template_joins_the_document_undescribed(
    tmp_path: Path,
) -> None:
    template = (
        (ROOT / "template.yaml")
        .read_text()
        .replace(
            """        Health:
          Type: HttpApi""",
            """        Decide:
          Type: HttpApi
          Properties:
            ApiId: !Ref OrdersApi
            Path: /approvals/{token}/decision
            Method: POST
        Health:
          Type: HttpApi""",
        )
    )
    (tmp_path / "template.yaml").write_text(template)

    run = _script(
        "--template", str(tmp_path / "template.yaml"), "--output", str(tmp_path / "o")
    )

    assert run.returncode == 0, run.stderr
    operation = json.loads((tmp_path / "o").read_text())["paths"][
        "/approvals/{token}/decision"
    ]["post"]
    assert operation["x-orderflow-undocumented"] is True
    assert operation["operationId"] == "Decide"
    assert [p["name"] for p in operation["parameters"]] == ["token"]
    assert "default" in operation["responses"]


def test_the_order_schema_is_the_models_and_answers_have_schemas() -> None:
    document = json.loads(DOCUMENT.read_text())
    schemas = document["components"]["schemas"]
    post = document["paths"]["/orders"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]

    order = schemas[body.rsplit("/", 1)[1]]
    assert order["additionalProperties"] is False
    assert set(order["required"]) >= {"order_id", "customer", "items", "currency"}
    assert set(post["responses"]) == {"202", "400", "403", "409", "413"}
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, answer in operation["responses"].items():
                if status == "204":
                    assert "content" not in answer
                    continue
                ((media, content),) = answer["content"].items()
                assert media in {"application/json", "text/html", "text/css"}
                assert "schema" in content
