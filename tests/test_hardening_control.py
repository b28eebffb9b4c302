"""The control plane refuses, when given, values that would break the server later (issue 17):
non-string RongCloud secrets, integers beyond 64 bits, fault codes and statuses the renderer
cannot send, extreme clock values, a malformed Tencent tenant in PUT /_emulator/state."""

from __future__ import annotations

import itertools

import orjson
import pytest

from tests.rongcloud_support import rc_post

BIG = 2 ** 70
_groups = itertools.count()


async def state(client):
    return await (await client.get("/_emulator/state")).json()


async def put_state(client, body: bytes | dict):
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    resp = await client.put("/_emulator/state", data=raw)
    return resp.status, await resp.json()


async def still_serving(client):
    assert (await client.get("/_emulator/state")).status == 200
    status, body = await rc_post(client, "/entrust/group/create.json",
                                 {"groupId": f"after{next(_groups)}", "name": "n", "owner": "leckie"})
    assert status == 200 and body["code"] == 200, body


@pytest.mark.parametrize("secret", [1, "", None, ["x"]])
async def test_rongcloud_app_secret_must_be_a_non_empty_string(client, secret):
    st = await state(client)
    key = next(iter(st["rongcloud"]))
    status, body = await put_state(client, {"rongcloud": {key: {**st["rongcloud"][key], "app_secret": secret}}})
    assert status == 400 and "app_secret" in body["error"]
    await still_serving(client)
    scenario = f"rongcloud:\n  apps:\n    - app_key: k1\n      app_secret: {secret if secret is not None else '~'}\n"
    resp = await client.post("/_emulator/scenario?mode=merge", data=scenario)
    assert resp.status == 400
    await still_serving(client)


async def test_integers_beyond_64_bits_are_refused_in_state_and_scenarios(client):
    st = await state(client)
    tk = next(iter(st["tencent"]))
    raw = orjson.dumps(st).replace(b'"next_seq":', b'"next_seq":%d,"unused":' % BIG, 1)
    status, body = await put_state(client, raw)
    assert status == 400 and body["details"][0]["reason"] == "number out of the 64-bit range"
    assert body["details"][0]["path"] == f"tencent.{tk}.next_seq"
    await still_serving(client)
    resp = await client.post("/_emulator/scenario?mode=merge", data=(
        f"tencent:\n  apps:\n    - sdkappid: 1400000009\n      key: k\n      admins: [a]\n"
        f"      max_members: {BIG}\n"))
    assert resp.status == 400
    assert "64-bit" in str(await resp.json())
    await still_serving(client)
    assert orjson.dumps(await state(client))     # still dumpable


async def test_a_malformed_tencent_tenant_in_put_state_is_a_json_400(client):
    st = await state(client)
    tk = next(iter(st["tencent"]))
    for bad in ("x", [], {}, {**st["tencent"][tk], "sdkappid": "not a number"}):
        status, body = await put_state(client, {"tencent": {tk: bad}})
        assert status == 400 and body["error"].startswith("state cannot be loaded"), bad
    assert await state(client) == st    # nothing half-applied
    await still_serving(client)


@pytest.mark.parametrize("spec,field", [
    ({"error": BIG}, "error"), ({"error": -BIG}, "error"),
    ({"http_status": 100}, "http_status"), ({"http_status": 199}, "http_status"),
    ({"http_status": 600}, "http_status"),
])
async def test_fault_values_the_renderer_cannot_send_are_refused(client, spec, field):
    resp = await client.post("/_emulator/faults", json={"provider": "rongcloud",
                                                        "api": "entrust/group/create", **spec})
    assert resp.status == 400
    assert (await resp.json())["details"][0]["path"] == field
    await still_serving(client)


@pytest.mark.parametrize("body", [{"freeze_at": 1e300}, {"freeze_at": -1}, {"freeze_at": 1e12},
                                  {"advance_s": 1e300}, {"advance_s": -1e13}, {"advance_s": -4e9}])
async def test_extreme_clock_values_are_refused(client, body):
    before = await (await client.get("/_emulator/clock")).json()
    resp = await client.post("/_emulator/clock", json=body)
    assert resp.status == 400, await resp.text()
    after = await (await client.get("/_emulator/clock")).json()
    assert after["mode"] == before["mode"] == "real"
    await still_serving(client)


async def test_reasonable_clock_values_still_work(client):
    assert (await client.post("/_emulator/clock", json={"freeze_at": 4102444800})).status == 200
    assert (await client.post("/_emulator/clock", json={"advance_s": 86400 * 365})).status == 200
    assert (await client.post("/_emulator/clock", json={"real": True})).status == 200
