"""The generated OpenAPI 3.1 document: valid, served, and listing every route of every urls.py."""

from __future__ import annotations

from openapi_spec_validator import validate

from emulator.app import RUNTIME


async def test_openapi_document_is_valid_and_complete(client):
    resp = await client.get("/_emulator/openapi.json")
    assert resp.status == 200
    doc = await resp.json()
    assert doc["openapi"] == "3.1.0"
    validate(doc)  # against the OpenAPI 3.1 meta-schema
    rt = client.app[RUNTIME]
    for name, provider in rt.providers.items():
        routes = provider.api_routes()
        assert routes, name
        for route in routes:
            op = doc["paths"].get(route.path, {}).get(route.method.lower())
            assert op is not None, f"{name} {route.method} {route.path} missing from the document"
            assert op["summary"], route.path
            if route.schema is not None:
                content = op["requestBody"]["content"]
                assert list(content) == [("application/x-www-form-urlencoded" if name == "rongcloud"
                                          else "application/json")]
            assert "200" in op["responses"]
    control = {p for p in doc["paths"] if p.startswith("/_emulator/")}
    assert {"/_emulator/health", "/_emulator/state", "/_emulator/faults", "/_emulator/journal",
            "/_emulator/clock", "/_emulator/scenario", "/_emulator/reset"} <= control


async def test_openapi_describes_request_fields(client):
    doc = await (await client.get("/_emulator/openapi.json")).json()
    schemas = doc["components"]["schemas"]

    def body_schema(path):
        content = doc["paths"][path]["post"]["requestBody"]["content"]
        ref = next(iter(content.values()))["schema"]["$ref"]
        return schemas[ref.rsplit("/", 1)[1]]

    # one field per provider, typed from its marshmallow field (including the providers' own fields)
    assert "GroupId" in body_schema("/v4/group_open_http_svc/get_group_member_info")["properties"]
    create = body_schema("/group/create_group")["properties"]
    assert "string" in create["ownerUserID"]["type"]
    rc = body_schema("/entrust/group/create.json")["properties"]
    assert rc["name"]["maxLength"] == 64 and "string" in rc["name"]["type"]
