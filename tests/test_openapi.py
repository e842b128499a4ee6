"""The OpenAPI document is valid, documents our error shape, and changes only deliberately."""
import json
from pathlib import Path

from openapi_spec_validator import validate

SNAPSHOT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def test_openapi_document_validates_and_matches_the_snapshot(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    validate(spec)
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    paths = spec["paths"]
    for path in ("/api/v1/nodes", "/api/v1/nodes/{node_id}", "/api/v1/nodes/{node_id}/managers",
                 "/api/v1/volunteers", "/api/v1/me", "/api/v1/auth/token", "/api/v1/teams",
                 "/api/v1/teams/{team_id}/members"):
        assert path in paths, path
    assert paths["/api/v1/volunteers"]["post"]["security"] == []
    assert json.loads(SNAPSHOT.read_text()) == spec, (
        "The API changed: review it, then refresh the snapshot with `make openapi`.")
