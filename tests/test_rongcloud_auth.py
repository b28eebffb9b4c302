"""RongCloud signatures, envelope, body rules and rate limit, through real HTTP."""

from __future__ import annotations

import time

import pytest

from emulator.providers.rongcloud.auth import sign
from emulator.settings import Settings
from tests.rongcloud_support import RC_APP_KEY, RC_APP_SECRET, rc_post, rc_sign, rongcloud_only_scenario

CREATE = "/entrust/group/create.json"


def test_documented_signature_vector():
    assert sign("Y1W2MeFwwwRxa0", "14314", "1408710653000") == "30be0bbca9c9b2e27578701e9fda2358a814c88f"


async def test_docs_vector_headers_accepted(rc_client):
    # reused nonce and a 2014 timestamp: accepted by default, as the real service does
    for gid in ("v1", "v2"):
        status, body = await rc_post(rc_client, CREATE, {"groupId": gid, "name": "n", "owner": "o"},
                                     sign=False, headers=rc_sign(nonce="14314", timestamp="1408710653000"))
        assert (status, body) == (200, {"code": 200})


@pytest.mark.parametrize("style", ["plain", "RC-", "lower-rc", "upper"])
async def test_header_forms(rc_client, style):
    h = rc_sign(prefix="RC-" if style in ("RC-", "lower-rc") else "")
    if style == "lower-rc":
        h = {k.lower(): v for k, v in h.items()}
    if style == "upper":
        h = {k.upper(): v for k, v in h.items()}
    status, body = await rc_post(rc_client, CREATE, {"groupId": "h1", "name": "n", "owner": "o"},
                                 sign=False, headers=h)
    assert (status, body) == (200, {"code": 200})


async def test_seconds_timestamp_accepted(rc_client):
    h = rc_sign(timestamp=str(int(time.time())))
    status, body = await rc_post(rc_client, CREATE, {"groupId": "s1", "name": "n", "owner": "o"},
                                 sign=False, headers=h)
    assert status == 200 and body == {"code": 200}


@pytest.mark.parametrize("case", ["bad-signature", "missing-signature", "missing-app-key", "unknown-app",
                                  "wrong-secret", "missing-nonce"])
async def test_auth_failures_are_401_1004(rc_client, case):
    h = rc_sign()
    if case == "bad-signature":
        h["Signature"] = "f" * 40
    elif case == "missing-signature":
        del h["Signature"]
    elif case == "missing-app-key":
        del h["App-Key"]
    elif case == "missing-nonce":
        del h["Nonce"]
    elif case == "unknown-app":
        h = rc_sign("nope", RC_APP_SECRET)
    elif case == "wrong-secret":
        h = rc_sign(RC_APP_KEY, "not-the-secret")
    status, body = await rc_post(rc_client, CREATE, {"groupId": "x", "name": "n", "owner": "o"},
                                 sign=False, headers=h)
    assert status == 401
    assert body["code"] == 1004 and isinstance(body["errorMessage"], str) and set(body) == {"code", "errorMessage"}


async def test_no_state_change_on_auth_failure(rc_client):
    h = rc_sign()
    h["Signature"] = "0" * 40
    await rc_post(rc_client, CREATE, {"groupId": "x", "name": "n", "owner": "o"}, sign=False, headers=h)
    status, body = await rc_post(rc_client, "/entrust/group/profile/query.json", {"groupIds": "x"})
    assert body == {"code": 200, "profiles": []}


@pytest.fixture
def strict_settings(tmp_path):
    return Settings(port=0, providers=("rongcloud",), scenario=rongcloud_only_scenario(
        tmp_path, {"signature_max_age_s": 300, "reject_replayed_nonce": True, "rate_limit": 3}))


@pytest.fixture
async def strict_client(aiohttp_client, strict_settings):
    from emulator.app import create_app
    return await aiohttp_client(create_app(strict_settings))


async def test_freshness_window_setting(strict_client):
    old = rc_sign(timestamp=str(int(time.time() * 1000) - 3_600_000))
    status, body = await rc_post(strict_client, CREATE, {"groupId": "f1", "name": "n", "owner": "o"},
                                 sign=False, headers=old)
    assert status == 401 and body["code"] == 1004
    fresh_seconds = rc_sign(timestamp=str(int(time.time())))
    status, body = await rc_post(strict_client, CREATE, {"groupId": "f1", "name": "n", "owner": "o"},
                                 sign=False, headers=fresh_seconds)
    assert (status, body) == (200, {"code": 200})


async def test_nonce_replay_setting(strict_client):
    h = rc_sign(nonce="same-nonce")
    status, _ = await rc_post(strict_client, CREATE, {"groupId": "r1", "name": "n", "owner": "o"},
                              sign=False, headers=h)
    assert status == 200
    status, body = await rc_post(strict_client, CREATE, {"groupId": "r2", "name": "n", "owner": "o"},
                                 sign=False, headers=h)
    assert status == 401 and body["code"] == 1004 and "Nonce" in body["errorMessage"]


async def test_rate_limit_1008_http_429(strict_client, aiohttp_client):
    client = strict_client
    await client.post("/_emulator/clock", json={"freeze_at": time.time()})
    path = "/entrust/group/query.json"
    for _ in range(3):
        status, body = await rc_post(client, path, {"size": "1"})
        assert status == 200
    status, body = await rc_post(client, path, {"size": "1"})
    assert status == 429 and body["code"] == 1008
    # per API: another endpoint still answers
    status, body = await rc_post(client, "/group/user/query.json", {"groupId": "g"})
    assert status == 200
    await client.post("/_emulator/clock", json={"advance_s": 1})
    status, body = await rc_post(client, path, {"size": "1"})
    assert status == 200


async def test_default_rate_limit_is_100_per_second(rc_client):
    await rc_client.post("/_emulator/clock", json={"freeze_at": time.time()})
    codes = [(await rc_post(rc_client, "/group/user/query.json", {"groupId": "g"}))[1]["code"] for _ in range(101)]
    assert codes[:100] == [200] * 100 and codes[100] == 1008


async def test_no_post_data_1003(rc_client):
    status, body = await rc_post(rc_client, CREATE, body="")
    assert status == 400 and body["code"] == 1003


async def test_body_over_100kb_1508(rc_client):
    status, body = await rc_post(rc_client, CREATE, body="groupId=g&name=n&owner=o&pad=" + "x" * 102400)
    assert body["code"] == 1508 and status == 400
    status, body = await rc_post(rc_client, CREATE, body="groupId=g&name=n&owner=o&pad=" + "x" * 90000)
    assert body["code"] == 200


async def test_not_utf8_1002(rc_client):
    status, body = await rc_post(rc_client, CREATE, body=b"groupId=\xff\xfe&name=n&owner=o")
    assert status == 400 and body["code"] == 1002


async def test_unknown_path_is_rongclouds_404(rc_client):
    resp = await rc_client.post("/entrust/group/nothing.json", data="a=b", headers=rc_sign())
    assert resp.status == 404
    assert await resp.json() == {"code": 404, "errorMessage": "Endpoint not found."}


async def test_injected_fault_uses_envelope(rc_client):
    resp = await rc_client.post("/_emulator/faults", json={"provider": "rongcloud", "api": "entrust/group/create",
                                                           "error": 1000, "times": 1})
    assert resp.status in (200, 201), await resp.text()
    status, body = await rc_post(rc_client, CREATE, {"groupId": "g", "name": "n", "owner": "o"})
    assert status == 500 and body["code"] == 1000 and "errorMessage" in body
    status, body = await rc_post(rc_client, CREATE, {"groupId": "g", "name": "n", "owner": "o"})
    assert (status, body) == (200, {"code": 200})


def test_nonce_cache_forgets_expired_nonces_from_the_front_and_stays_bounded(monkeypatch):
    from emulator.providers.rongcloud import auth as rc_auth
    monkeypatch.setattr(rc_auth, "NONCE_CACHE_MAX", 50)
    cache = rc_auth.NonceCache()
    assert not cache.seen_before("k", "a", 100.0, 10)
    assert cache.seen_before("k", "a", 109.0, 10)           # within the window: a replay
    assert not cache.seen_before("k", "a", 111.0, 10)       # after it: new again
    for i in range(30):                                    # 30 more within a second
        assert not cache.seen_before("k", f"n{i}", 112.0 + i / 100, 10)
    assert len(cache._seen["k"]) == 31
    assert not cache.seen_before("k", "late", 125.0, 10)    # everything before 115 left the window
    assert list(cache._seen["k"]) == ["late"]
    for i in range(200):                                   # a flood of fresh nonces: capped
        cache.seen_before("k", f"f{i}", 126.0, 10)
    assert len(cache._seen["k"]) == 50 and cache.seen_before("k", "f199", 126.0, 10)
    assert cache._seen.keys() == {"k"}
