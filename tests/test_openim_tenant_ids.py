"""OpenIM tenants are named by a non-secret id (issue 17): a declared ``id``, else "openim-" + 12
hex digits of the secret's SHA-256. The journal, the state dump's keys, ``?tenant=`` of the
control plane, reset and faults use it; the secret appears only inside the state body."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import pytest

from emulator.settings import Settings
from tests.openim_support import get_admin_token, get_user_token, openim_call

SCENARIO = Path(__file__).resolve().parent.parent / "fixtures" / "openim-versions.yaml"
DERIVED = "openim-" + hashlib.sha256(b"openIM383").hexdigest()[:12]


@pytest.fixture
def settings():
    return Settings(port=0, providers=("openim",), scenario=SCENARIO)


async def test_journal_names_tenants_by_id(client):
    for secret in ("openIM123", "openIM383"):
        admin = await get_admin_token(client, secret=secret)
        await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=admin)
    resp = await client.get("/_emulator/journal", params={"provider": "openim"})
    text = await resp.text()
    entries = orjson.loads(text)
    entries = entries["entries"] if isinstance(entries, dict) else entries
    assert [e["tenant"] for e in entries] == ["p16", "p16", DERIVED, DERIVED]
    assert "openIM123" not in text and "openIM383" not in text
    resp = await client.get("/_emulator/journal", params={"provider": "openim", "tenant": DERIVED})
    body = orjson.loads(await resp.text())
    assert len(body["entries"] if isinstance(body, dict) else body) == 2


async def test_state_keys_and_narrowing(client):
    resp = await client.get("/_emulator/state", params={"provider": "openim"})
    state = await resp.json()
    assert sorted(state["openim"]) == sorted(["p16", DERIVED])
    assert state["openim"][DERIVED]["id"] == DERIVED and state["openim"]["p16"]["secret"] == "openIM123"
    resp = await client.get("/_emulator/state", params={"provider": "openim", "tenant": "p16"})
    assert list((await resp.json())["openim"]) == ["p16"]
    resp = await client.get("/_emulator/state", params={"provider": "openim", "tenant": "openIM123"})
    assert resp.status == 404


async def test_reset_one_tenant_by_id(client):
    admins = {s: await get_admin_token(client, secret=s) for s in ("openIM123", "openIM383")}
    body = {"users": [{"userID": "newbie", "nickname": "n"}]}
    for tok in admins.values():
        _, resp = await openim_call(client, "/user/user_register", body, token=tok)
        assert resp["errCode"] == 0
    resp = await client.post("/_emulator/reset", params={"provider": "openim", "tenant": DERIVED})
    assert resp.status == 200
    resp = await client.get("/_emulator/state", params={"provider": "openim"})
    state = await resp.json()
    users = {tid: [u[0] for u in t["users"]] for tid, t in state["openim"].items()}
    assert "newbie" in users["p16"] and "newbie" not in users[DERIVED]


async def test_fault_scoped_by_tenant_id(client):
    resp = await client.post("/_emulator/faults", json={"provider": "openim", "api": "user/get_users_info",
                                                        "tenant": DERIVED, "error": 1004})
    assert resp.status in (200, 201), await resp.text()
    for secret, code in (("openIM123", 0), ("openIM383", 1004)):
        admin = await get_admin_token(client, secret=secret)
        _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=admin)
        assert body["errCode"] == code


async def test_old_dump_keyed_by_secret_still_loads(client):
    admin = await get_admin_token(client, secret="openIM383")
    bob = await get_user_token(client, admin, "bob")
    resp = await client.get("/_emulator/state", params={"provider": "openim"})
    state = await resp.json()
    old = {t["secret"]: {k: v for k, v in t.items() if k != "id"} for t in state["openim"].values()}
    resp = await client.put("/_emulator/state", json={"openim": old})
    assert resp.status == 200, await resp.text()
    resp = await client.get("/_emulator/state", params={"provider": "openim"})
    assert await resp.json() == state
    _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=bob)
    assert body["errCode"] == 0


async def test_scenario_ids_and_secrets(client):
    resp = await client.post("/_emulator/scenario", json={"openim": {"tenants": [
        {"secret": "s-one"}, {"id": "two", "secret": "s-two"}]}})
    assert resp.status == 200
    body = await resp.json()
    assert body["tenants"]["openim"] == sorted(["two", "openim-" + hashlib.sha256(b"s-one").hexdigest()[:12]])
    resp = await client.post("/_emulator/scenario", json={"openim": {"tenants": [
        {"id": "a", "secret": "same"}, {"id": "b", "secret": "same"}]}})
    assert resp.status == 400
    assert "secret already used by tenants[0]" in await resp.text()
    resp = await client.post("/_emulator/scenario", json={"openim": {"tenants": [
        {"id": "a", "secret": "x1"}, {"id": "a", "secret": "x2"}]}})
    assert resp.status == 400 and "duplicate tenant 'a'" in await resp.text()
