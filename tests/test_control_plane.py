"""The control plane under /_emulator/: every endpoint, its bad inputs, and its effect on the
providers (journal masking, faults, clock, reset, state round trip, scenario errors)."""

from __future__ import annotations

import asyncio
import hashlib
import time

import pytest

from emulator.app import create_app
from emulator.settings import Settings, fixtures_dir

RC_KEY, RC_SECRET = "uwd1c0sxdlx2", "Y1W2MeFwwwRxa0"


def rc_headers(nonce: str = "14314") -> dict:
    ts = str(int(time.time()))
    sig = hashlib.sha1(f"{RC_SECRET}{nonce}{ts}".encode()).hexdigest()
    return {"App-Key": RC_KEY, "Nonce": nonce, "Timestamp": ts, "Signature": sig}


async def rc_post(client, path: str, form: dict):
    resp = await client.post(path, data=form, headers=rc_headers())
    return resp.status, await resp.json()


async def rc_create(client, group_id: str = "g1", owner: str = "leckie"):
    return await rc_post(client, "/entrust/group/create.json", {"groupId": group_id, "name": "n", "owner": owner})


# --- health, 404 ---------------------------------------------------------------------------

async def test_health(client):
    resp = await client.get("/_emulator/health")
    body = await resp.json()
    assert resp.status == 200
    assert body["status"] == "ok"
    assert body["providers"] == ["tencent", "openim", "rongcloud"]
    assert isinstance(body["version"], str) and body["version"]
    assert body["uptime_s"] >= 0


@pytest.mark.parametrize("method,path", [("GET", "/"), ("GET", "/nope"), ("POST", "/v5/x/y"),
                                         ("GET", "/_emulator/nothing"), ("DELETE", "/_emulator/health")])
async def test_unknown_paths_answer_json_404(client, method, path):
    resp = await client.request(method, path)
    assert resp.status == 404
    assert resp.content_type == "application/json"
    assert (await resp.json())["error"] == "not found"


# --- scenario ------------------------------------------------------------------------------

async def test_post_scenario_rejects_bad_document_with_path(client, runtime):
    before = await (await client.get("/_emulator/state")).json()
    bad = "tencent:\n  apps:\n    - sdkappid: notanumber\n      key: k\n"
    resp = await client.post("/_emulator/scenario", data=bad)
    body = await resp.json()
    assert resp.status == 400
    assert body["source"] == "request body"
    assert any(d["path"] == "tencent.apps[0].sdkappid" for d in body["details"]), body
    # refused whole: the state is what it was
    assert await (await client.get("/_emulator/state")).json() == before


async def test_post_scenario_unknown_key_and_not_yaml(client):
    resp = await client.post("/_emulator/scenario", data="nonsense: 1\n")
    body = await resp.json()
    assert resp.status == 400 and body["details"][0]["path"] == "nonsense"
    resp = await client.post("/_emulator/scenario", data="tencent: [1\n")
    assert resp.status == 400
    assert "not valid YAML" in (await resp.json())["details"][0]["reason"]
    resp = await client.post("/_emulator/scenario", data="- a list\n")
    assert resp.status == 400


async def test_post_scenario_replace_and_merge(client):
    empty = (fixtures_dir() / "empty.yaml").read_text()
    resp = await client.post("/_emulator/scenario", data=empty)
    assert resp.status == 200
    body = await resp.json()
    assert body["tenants"] == {"tencent": [], "openim": [], "rongcloud": []}
    # an unknown app now gets RongCloud's own 401
    status, rc = await rc_create(client)
    assert (status, rc["code"]) == (401, 1004)
    # merge adds the default scenario's apps back (JSON is accepted as well as YAML)
    import yaml
    default = yaml.safe_load((fixtures_dir() / "default.yaml").read_text())
    resp = await client.post("/_emulator/scenario?mode=merge", json=default)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["tenants"]["rongcloud"] == [RC_KEY]
    status, rc = await rc_create(client)
    assert (status, rc["code"]) == (200, 200)
    resp = await client.post("/_emulator/scenario?mode=sideways", data=empty)
    assert resp.status == 400


# --- state, reset --------------------------------------------------------------------------

async def test_state_round_trip_is_identical(client):
    assert (await rc_create(client, "ground"))[1]["code"] == 200
    dump1 = await (await client.get("/_emulator/state")).json()
    assert (await client.post("/_emulator/reset")).status == 200
    assert await (await client.get("/_emulator/state")).json() != dump1
    resp = await client.put("/_emulator/state", json=dump1)
    assert resp.status == 200, await resp.text()
    dump2 = await (await client.get("/_emulator/state")).json()
    assert dump2 == dump1
    resp = await client.put("/_emulator/state", json=dump2)
    assert await (await client.get("/_emulator/state")).json() == dump1


async def test_state_narrowing_and_bad_inputs(client):
    body = await (await client.get("/_emulator/state?provider=rongcloud")).json()
    assert list(body) == ["rongcloud"] and list(body["rongcloud"]) == [RC_KEY]
    body = await (await client.get(f"/_emulator/state?provider=rongcloud&tenant={RC_KEY}")).json()
    assert list(body["rongcloud"]) == [RC_KEY]
    assert (await client.get("/_emulator/state?provider=msn")).status == 400
    assert (await client.get("/_emulator/state?tenant=x")).status == 400
    assert (await client.get("/_emulator/state?provider=rongcloud&tenant=nope")).status == 404
    assert (await client.put("/_emulator/state", data=b"{not json")).status == 400
    assert (await client.put("/_emulator/state", json=[1, 2])).status == 400
    assert (await client.put("/_emulator/state", json={"icq": {}})).status == 400
    assert (await client.put("/_emulator/state")).status == 400


async def test_bad_state_dump_changes_nothing(client):
    assert (await rc_create(client, "keepme"))[1]["code"] == 200
    before = await (await client.get("/_emulator/state")).json()
    bad = dict(before)
    bad["rongcloud"] = {RC_KEY: {"garbage": True}}
    resp = await client.put("/_emulator/state", json=bad)
    assert resp.status == 400
    assert await (await client.get("/_emulator/state")).json() == before


async def test_reset_narrowed_to_one_provider_and_tenant(client):
    assert (await rc_create(client, "greset"))[1]["code"] == 200
    snapshot = await (await client.get("/_emulator/state?provider=rongcloud")).json()
    assert (await client.post("/_emulator/reset?provider=tencent")).status == 200
    assert await (await client.get("/_emulator/state?provider=rongcloud")).json() == snapshot
    assert (await client.post(f"/_emulator/reset?provider=rongcloud&tenant={RC_KEY}")).status == 200
    assert await (await client.get("/_emulator/state?provider=rongcloud")).json() != snapshot
    status, body = await rc_create(client, "greset")   # the group is gone: creating it works again
    assert (status, body["code"]) == (200, 200)
    assert (await client.post("/_emulator/reset?provider=nope")).status == 400


async def test_state_check_reports_ok(client):
    await rc_create(client, "gcheck")
    resp = await client.get("/_emulator/state/check")
    body = await resp.json()
    assert resp.status == 200 and body["ok"] is True
    assert set(body["problems"]) == {"tencent", "openim", "rongcloud"}


# --- journal -------------------------------------------------------------------------------

async def test_journal_records_and_masks_secrets(client):
    await client.delete("/_emulator/journal")
    await rc_create(client, "gjournal")
    resp = await client.post("/auth/get_admin_token", json={"secret": "openIM123", "userID": "imAdmin"},
                             headers={"operationID": "op-1"})
    token = (await resp.json())["data"]["token"]
    await client.post("/user/get_all_users_uid", json={"pagination": {"pageNumber": 1, "showNumber": 10}},
                      headers={"operationID": "op-2", "token": token})
    await client.post("/v4/group_open_http_svc/get_appid_group_list",
                      params={"sdkappid": "1400000000", "identifier": "administrator",
                              "usersig": "secret-sig-value", "contenttype": "json"}, json={})
    body = await (await client.get("/_emulator/journal")).json()
    entries = body["entries"]
    assert [e["provider"] for e in entries] == ["rongcloud", "openim", "openim", "tencent"]
    rc, admin, users, tc = entries
    assert rc["api"] and rc["tenant"] == RC_KEY and rc["method"] == "POST"
    assert rc["path"] == "/entrust/group/create.json"
    assert rc["request"]["headers"]["Signature"] == "***"
    assert rc["response"] == {"status": 200, "body": {"code": 200}}
    assert rc["duration_ms"] >= 0 and rc["time"] > 0
    assert admin["request"]["body"]["secret"] == "***"
    assert token not in str(admin["request"]) and users["request"]["headers"]["token"] == "***"
    assert tc["query"]["usersig"] == "***" and tc["query"]["sdkappid"] == "1400000000"
    assert "secret-sig-value" not in str(body)
    # filters and limit
    only = await (await client.get("/_emulator/journal?provider=openim&limit=1")).json()
    assert [e["path"] for e in only["entries"]] == ["/user/get_all_users_uid"]
    only = await (await client.get(f"/_emulator/journal?tenant={RC_KEY}")).json()
    assert [e["provider"] for e in only["entries"]] == ["rongcloud"]
    assert (await client.get("/_emulator/journal?limit=-1")).status == 400
    assert (await client.delete("/_emulator/journal")).status == 200
    assert (await (await client.get("/_emulator/journal")).json())["count"] == 0


async def test_journal_is_a_bounded_ring(aiohttp_client):
    client = await aiohttp_client(create_app(Settings(port=0, journal_size=5)))
    for i in range(12):
        await rc_create(client, f"ring{i}")
    body = await (await client.get("/_emulator/journal")).json()
    assert body["size"] == 5 and body["count"] == 5
    assert [e["request"]["body"] for e in body["entries"]][-1] == "groupId=ring11&name=n&owner=leckie"
    seqs = [e["seq"] for e in body["entries"]]
    assert seqs == sorted(seqs) and seqs[-1] == 12


# --- faults --------------------------------------------------------------------------------

async def test_fault_after_and_times(client):
    resp = await client.post("/_emulator/faults", json={
        "provider": "rongcloud", "api": "entrust/group/create", "after": 1, "times": 2, "error": 1000})
    assert resp.status == 201, await resp.text()
    fault = await resp.json()
    results = [await rc_create(client, f"f{i}") for i in range(4)]
    assert [r[0] for r in results] == [200, 500, 500, 200]
    assert results[1][1]["code"] == 1000 and "errorMessage" in results[1][1]
    listed = (await (await client.get("/_emulator/faults")).json())["faults"]
    assert listed[0]["id"] == fault["id"] and listed[0]["fired"] == 2 and listed[0]["active"] is False
    # the failed calls changed nothing: f1 and f2 can still be created
    assert (await rc_create(client, "f1"))[0] == 200


async def test_fault_http_status_and_message_and_tenant(client):
    await client.post("/_emulator/faults", json={
        "provider": "rongcloud", "api": "entrust/group/create", "tenant": "someone-else", "error": 1000})
    assert (await rc_create(client, "t1"))[0] == 200          # other tenant: no match
    await client.post("/_emulator/faults", json={
        "provider": "rongcloud", "api": "entrust/group/create", "tenant": RC_KEY, "times": 0,
        "error": 1008, "message": "slow down", "http_status": 503})
    for _ in range(3):
        status, body = await rc_create(client, "t2")
        assert status == 503 and body == {"code": 1008, "errorMessage": "slow down"}
    assert (await client.delete("/_emulator/faults")).status == 200
    assert (await rc_create(client, "t2"))[0] == 200


async def test_fault_delay_then_normal_service(client):
    await client.post("/_emulator/faults", json={
        "provider": "rongcloud", "api": "entrust/group/create", "delay_ms": 200})
    started = time.monotonic()
    status, body = await rc_create(client, "slow")
    assert time.monotonic() - started >= 0.2
    assert (status, body["code"]) == (200, 200)


async def test_fault_bad_inputs_and_delete_by_id(client):
    bad = [{"api": "x", "error": 1}, {"provider": "aim", "api": "x", "error": 1},
           {"provider": "tencent", "api": "x"}, {"provider": "tencent", "api": "x", "times": -1, "error": 1},
           {"provider": "tencent", "api": "x", "http_status": 99}]
    for spec in bad:
        resp = await client.post("/_emulator/faults", json=spec)
        assert resp.status == 400, spec
    # a list is taken whole or not at all
    ok = {"provider": "tencent", "api": "group_open_http_svc/create_group", "error": 1}
    resp = await client.post("/_emulator/faults", json=[ok, bad[0]])
    assert resp.status == 400
    assert (await (await client.get("/_emulator/faults")).json())["faults"] == []
    added = await (await client.post("/_emulator/faults", json=ok)).json()
    assert (await client.delete(f"/_emulator/faults/{added['id']}")).status == 200
    assert (await client.delete(f"/_emulator/faults/{added['id']}")).status == 404
    assert (await client.delete("/_emulator/faults/abc")).status == 400


# --- clock ---------------------------------------------------------------------------------

async def test_clock_freeze_advance_real(client, runtime):
    resp = await client.post("/_emulator/clock", json={"freeze_at": 1_700_000_000})
    assert (await resp.json())["now"] == 1_700_000_000
    resp = await client.post("/_emulator/clock", json={"advance_s": 90})
    assert (await resp.json())["now"] == 1_700_000_090
    await asyncio.sleep(0.01)
    assert runtime.clock.now() == 1_700_000_090              # frozen stays frozen
    resp = await client.post("/_emulator/clock", json={"real": True})
    assert abs((await resp.json())["now"] - time.time()) < 5
    for bad in ({}, {"freeze_at": "soon"}, {"real": False}, {"freeze_at": 1, "advance_s": 2}, [1]):
        assert (await client.post("/_emulator/clock", json=bad)).status == 400, bad
    assert (await client.get("/_emulator/clock")).status == 200


async def test_clock_drives_provider_timestamps(client):
    await client.post("/_emulator/clock", json={"freeze_at": 1_600_000_000})
    resp = await client.post("/auth/get_admin_token", json={"secret": "openIM123", "userID": "imAdmin"},
                             headers={"operationID": "op"})
    import jwt
    token = (await resp.json())["data"]["token"]
    claims = jwt.decode(token, "openIM123", algorithms=["HS256"], options={"verify_exp": False})
    assert claims["iat"] == 1_600_000_000 - 5   # BuildClaims: iat = now - 5 s


# --- rate limit ----------------------------------------------------------------------------

async def test_rate_limit_per_tenant_and_api_uses_the_clock(client):
    """RongCloud's documented default: 100 requests per second per API per App-Key."""
    await client.post("/_emulator/clock", json={"freeze_at": 1_700_000_000})
    statuses = [(await rc_create(client, f"r{i}"))[0] for i in range(101)]
    assert statuses[:100] == [200] * 100 and statuses[100] == 429
    await client.post("/_emulator/clock", json={"advance_s": 1})
    assert (await rc_create(client, "rnext"))[0] == 200


# --- admin token ---------------------------------------------------------------------------

async def test_admin_token_guards_control_plane_only(aiohttp_client):
    client = await aiohttp_client(create_app(Settings(port=0, admin_token="s3cret")))
    # health stays open (probes carry no secrets); everything else needs the token
    assert (await client.get("/_emulator/health")).status == 200
    assert (await client.head("/_emulator/health")).status == 200
    assert (await client.get("/_emulator/journal")).status == 401
    assert (await client.get("/_emulator/journal", headers={"X-Emulator-Token": "nope"})).status == 401
    assert (await client.get("/_emulator/journal", headers={"X-Emulator-Token": "s3cret"})).status == 200
    assert (await rc_create(client))[0] == 200                   # providers are not guarded
