"""Tencent envelope: sdkappid, UserSig (tls-sig-api-v2), admin check, routing, body, rate limit."""

from __future__ import annotations

import time

import orjson

from tests.tencent_support import (ADMIN, KEY, SDKAPPID, WRONG_KEY, set_clock, tencent_call,
                                   tencent_query, tencent_sig)


def fail(body, code):
    assert body["ActionStatus"] == "FAIL" and body["ErrorCode"] == code, body
    assert isinstance(body["ErrorInfo"], str) and body["ErrorInfo"]


async def test_valid_admin_call_and_envelope(tim):
    body = await tim("get_appid_group_list", {})
    assert body == {"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0, "TotalCount": 0,
                    "GroupIdList": [], "Next": 0}


async def test_missing_sdkappid_60012(client):
    q = tencent_query()
    del q["sdkappid"]
    fail(await tencent_call(client, "get_appid_group_list", {}, query=q), 60012)


async def test_unknown_sdkappid_70020(client):
    q = tencent_query(sdkappid=1400000999)
    fail(await tencent_call(client, "get_appid_group_list", {}, query=q), 70020)


async def test_empty_usersig_70002(client):
    fail(await tencent_call(client, "get_appid_group_list", {}, sig=""), 70002)


async def test_undecodable_usersig_70003(client):
    fail(await tencent_call(client, "get_appid_group_list", {}, sig="xxx"), 70003)
    truncated = tencent_sig()[:40]
    fail(await tencent_call(client, "get_appid_group_list", {}, sig=truncated), 70003)


async def test_identifier_mismatch_70013(client):
    fail(await tencent_call(client, "get_appid_group_list", {}, sig=tencent_sig("bob")), 70013)


async def test_sdkappid_mismatch_70014(client):
    sig = tencent_sig(ADMIN, sdkappid=SDKAPPID + 1)
    fail(await tencent_call(client, "get_appid_group_list", {}, sig=sig), 70014)


async def test_wrong_key_70009(client):
    fail(await tencent_call(client, "get_appid_group_list", {}, sig=tencent_sig(key=WRONG_KEY)), 70009)


async def test_expired_70001_on_emulator_clock(client, tim):
    sig = tencent_sig(expire=600)
    assert (await tim("get_appid_group_list", {}, sig=sig))["ErrorCode"] == 0
    await set_clock(client, advance_s=601)
    fail(await tim("get_appid_group_list", {}, sig=sig), 70001)


async def test_not_admin_60010(client):
    body = await tencent_call(client, "get_appid_group_list", {}, identifier="bob")
    fail(body, 60010)


async def test_random_and_contenttype_may_be_missing(client):
    q = tencent_query()
    del q["random"], q["contenttype"]
    assert (await tencent_call(client, "get_appid_group_list", {}, query=q))["ErrorCode"] == 0


async def test_body_not_json_60003(tim):
    fail(await tim("get_appid_group_list", raw=b"{not json"), 60003)
    fail(await tim("get_appid_group_list", raw=b""), 60003)


async def test_unknown_service_60009(tim):
    fail(await tim("no_such_svc/do_it", {}), 60009)


async def test_unknown_group_command_10003(tim):
    fail(await tim("group_open_http_svc/no_such_command", {}), 10003)
    body = await tim("group_open_http_svc/update_group_counter", {})
    fail(body, 60017)     # a real command not emulated: distinct from a typo (catalog.py)
    assert "not emulate" in body["ErrorInfo"]


async def test_unknown_command_still_needs_auth(client):
    fail(await tencent_call(client, "group_open_http_svc/nope", {}, sig=""), 70002)


async def test_non_post_is_refused_60002(client):
    resp = await client.get("/v4/group_open_http_svc/get_appid_group_list", params=tencent_query())
    assert resp.status == 200
    fail(orjson.loads(await resp.read()), 60002)


async def test_rate_limit_60007_per_api(client, tim):
    scenario = {"tencent": {"apps": [{"sdkappid": SDKAPPID, "key": KEY, "admins": [ADMIN],
                                      "rate_limit": 3}]}}
    resp = await client.post("/_emulator/scenario", json=scenario)
    assert resp.status == 200, await resp.text()
    await set_clock(client, freeze_at=int(time.time()) + 1)
    for _ in range(3):
        assert (await tim("get_appid_group_list", {}))["ErrorCode"] == 0
    fail(await tim("get_appid_group_list", {}), 60007)
    # another API has its own budget; the next second the first one works again
    assert (await tim("im_open_login_svc/account_check", {"CheckItem": [{"UserID": ADMIN}]}))["ErrorCode"] == 0
    await set_clock(client, advance_s=1)
    assert (await tim("get_appid_group_list", {}))["ErrorCode"] == 0


async def test_default_rate_limit_is_200_per_second(client, tim):
    await set_clock(client, freeze_at=int(time.time()) + 1)
    sig = tencent_sig()
    codes = [(await tim("get_appid_group_list", {}, sig=sig))["ErrorCode"] for _ in range(201)]
    assert codes[:200] == [0] * 200 and codes[200] == 60007


async def test_usersig_with_userbuf_is_accepted(tim):
    import TLSSigAPIv2
    sig = TLSSigAPIv2.TLSSigAPIv2(SDKAPPID, KEY).gen_sig_with_userbuf(ADMIN, 3600, b"room-1")
    assert (await tim("get_appid_group_list", {}, sig=sig))["ErrorCode"] == 0


async def test_injected_fault_renders_in_tencent_envelope(client, tim):
    resp = await client.post("/_emulator/faults", json={"provider": "tencent", "api": "group_open_http_svc/create_group",
                                                         "tenant": str(SDKAPPID), "error": 10002})
    assert resp.status in (200, 201), await resp.text()
    fail(await tim("create_group", {"Type": "Public", "Name": "g"}), 10002)
    assert (await tim("create_group", {"Type": "Public", "Name": "g"}))["ErrorCode"] == 0   # times: 1


async def test_injected_fault_on_the_gateway(client):
    from tests.test_tencent_gateway import SEED_TOKEN, body, post
    resp = await client.post("/_emulator/faults", json={"provider": "tencent", "api": "im/group/createGroup", "error": 10002})
    assert resp.status in (200, 201)
    res = await post(client, body(), SEED_TOKEN)
    assert res["success"] is False and res["code"] == 500
    assert res["result"]["errorCode"] == 10002


async def test_verified_usersig_cache_still_checks_identifier_and_expiry(client, tim):
    sig = tencent_sig(expire=600)
    assert (await tim("get_appid_group_list", {}, sig=sig))["ErrorCode"] == 0   # now cached
    assert (await tim("get_appid_group_list", {}, sig=sig))["ErrorCode"] == 0
    fail(await tencent_call(client, "get_appid_group_list", {}, identifier="bob", sig=sig), 70013)
    await set_clock(client, advance_s=601)
    fail(await tim("get_appid_group_list", {}, sig=sig), 70001)


async def test_key_change_rejects_a_sig_verified_under_the_old_key(client, tim):
    sig = tencent_sig()
    assert (await tim("get_appid_group_list", {}, sig=sig))["ErrorCode"] == 0   # cached under KEY
    scenario = {"tencent": {"apps": [{"sdkappid": SDKAPPID, "key": WRONG_KEY, "admins": [ADMIN]}]}}
    resp = await client.post("/_emulator/scenario", json=scenario)
    assert resp.status == 200, await resp.text()
    fail(await tim("get_appid_group_list", {}, sig=sig), 70009)
    assert (await tim("get_appid_group_list", {}, sig=tencent_sig(key=WRONG_KEY)))["ErrorCode"] == 0


def test_verified_usersig_cache_is_bounded():
    from emulator.providers.tencent import auth
    for i in range(auth.VERIFIED_CACHE_SIZE + 10):
        auth.verify_usersig(tencent_sig(f"u{i}", expire=3600), f"u{i}", str(SDKAPPID), KEY,
                            time.time())
    assert len(auth._verified) <= auth.VERIFIED_CACHE_SIZE
