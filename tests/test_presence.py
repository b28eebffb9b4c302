"""core/presence.py on its own, and the control plane that drives it (/_emulator/presence,
/_emulator/tokens/check) through HTTP, on the RongCloud tenant (which owns one Presence)."""

from __future__ import annotations

import pytest

from emulator.app import RUNTIME
from emulator.core.presence import Presence, PresenceChange
from tests.rongcloud_support import RC_APP_KEY

P, T = "rongcloud", RC_APP_KEY


# --- the core object -----------------------------------------------------------------------------

def test_online_offline_per_platform_and_listeners():
    p = Presence()
    seen: list[PresenceChange] = []
    p.listeners.append(seen.append)
    assert p.set_online("u1", "iOS", True, 1000) is True
    assert p.set_online("u1", "iOS", True, 2000) is False          # already online: first time kept
    assert p.set_online("u1", "PC", True, 3000) is True
    assert p.platforms("u1") == {"iOS": 1000, "PC": 3000}
    assert p.is_online("u1") and p.is_online("u1", "PC") and not p.is_online("u1", "Android")
    assert p.set_online("u1", "Android", False, 4000) is False     # not online there: no event
    assert p.go_offline("u1", 5000, "kicked") == ["iOS", "PC"]
    assert not p.is_online("u1") and p.listing() == {}
    assert [(c.platform, c.online, c.reason) for c in seen] == [
        ("iOS", True, "control"), ("PC", True, "control"), ("iOS", False, "kicked"), ("PC", False, "kicked")]
    assert p.check_invariants() == []


def test_token_reasons_in_order():
    p = Presence()
    p.issue("t1", "u1", 1000)
    p.issue("t2", "u1", 2000, platform="iOS", expires_at=10_000)
    p.issue("t3", "u2", 3000)
    assert p.check("nope", 5000).as_json() == {"valid": False, "reason": "never issued", "user": None,
                                               "platform": None, "expires_at": None}
    assert p.check("t2", 5000).as_json() == {"valid": True, "reason": "ok", "user": "u1",
                                             "platform": "iOS", "expires_at": 10_000}
    assert p.check("t2", 10_000).reason == "expired"
    assert p.revoke("u1", "expired-by-request", 6000, issued_before=1500) == 1   # only t1
    assert p.check("t1", 6000).reason == "revoked: expired-by-request"
    assert p.check("t2", 6000).valid
    p.suspend("u2", "blocked", until_ms=8000)
    assert p.check("t3", 7000).reason == "user blocked until 1970-01-01 00:00:08 UTC"
    assert p.check("t3", 8000).valid                                # the block ran out (lazily)
    p.suspend("u2", "deactivated")
    assert p.check("t3", 9000).reason == "user deactivated"
    assert p.suspensions("deactivated", 9000) == {"u2": None}
    assert p.lift("u2", "deactivated") and not p.lift("u2", "deactivated")
    assert p.revoke("u1", "kicked", 9000, platform="iOS") == 1
    assert p.check("t2", 9000).reason == "revoked: kicked"
    assert p.check_invariants() == []


def test_token_cap_per_user_forgets_oldest_and_counts():
    p = Presence(max_tokens_per_user=3)
    for i in range(5):
        p.issue(f"t{i}", "u", i)
    assert [r.token for r in p.user_tokens("u")] == ["t2", "t3", "t4"]
    assert p.dropped_tokens == 2 and p.check("t0", 10).reason == "never issued"
    assert p.check_invariants() == []


def test_json_round_trip_and_invariants_catch_damage():
    p = Presence()
    p.set_online("u1", "iOS", True, 1)
    p.issue("t1", "u1", 2, expires_at=9)
    p.revoke("u1", "kicked", 3)
    p.suspend("u2", "blocked", 99)
    again = Presence.from_json(p.to_json())
    assert again.to_json() == p.to_json() and again.check_invariants() == []
    again.by_user["u1"].append("ghost")
    again.tokens["t1"].revoked_at = None
    problems = again.check_invariants()
    assert any("does not own" in x for x in problems) and any("half-set" in x for x in problems)


# --- control plane ---------------------------------------------------------------------------------

async def test_presence_control_plane(rc_client):
    r = await rc_client.post("/_emulator/presence", json={"provider": P, "tenant": T, "user": "u1",
                                                          "platform": "ios", "online": True})
    assert r.status == 200
    body = await r.json()
    assert body["online"] is True and list(body["platforms"]) == ["iOS"]   # provider's spelling
    r = await rc_client.get("/_emulator/presence", params={"provider": P, "tenant": T})
    assert (await r.json())["users"] == {"u1": body["platforms"]}
    r = await rc_client.get("/_emulator/presence", params={"provider": P, "tenant": T, "user": "u1"})
    assert (await r.json())["online"] is True
    r = await rc_client.post("/_emulator/presence", json={"provider": P, "tenant": T, "user": "u1",
                                                          "online": False})
    assert (await r.json()) == {"provider": P, "tenant": T, "user": "u1", "online": False, "platforms": {}}


@pytest.mark.parametrize("body,status,path", [
    ({"provider": P, "tenant": T, "user": "u1", "platform": "Symbian", "online": True}, 400, "platform"),
    ({"provider": P, "tenant": T, "user": "u1", "online": True}, 400, "platform"),
    ({"provider": P, "tenant": T, "user": "", "platform": "PC", "online": True}, 400, "user"),
    ({"provider": P, "tenant": T, "user": "u1", "platform": "PC"}, 400, "online"),
    ({"provider": "nope", "tenant": T, "user": "u1", "platform": "PC", "online": True}, 400, "provider"),
    ({"provider": P, "tenant": "nope", "user": "u1", "platform": "PC", "online": True}, 404, "tenant"),
])
async def test_presence_control_plane_errors(rc_client, body, status, path):
    r = await rc_client.post("/_emulator/presence", json=body)
    assert r.status == status
    reply = await r.json()
    assert path in [d["path"] for d in reply["details"]], reply


async def test_token_check_route_and_state_cover_presence(rc_client):
    rt = rc_client.app[RUNTIME]
    presence = rt.providers[P].backend.presence(T)
    presence.issue("tok-a", "u1", rt.clock.now_ms())
    for method in ("post", "get"):
        q = {"provider": P, "tenant": T, "token": "tok-a"}
        r = await (rc_client.post("/_emulator/tokens/check", json=q) if method == "post"
                   else rc_client.get("/_emulator/tokens/check", params=q))
        assert (await r.json()) == {"valid": True, "reason": "ok", "user": "u1", "platform": None,
                                    "expires_at": None}
    r = await rc_client.post("/_emulator/tokens/check", json={"provider": P, "tenant": T})
    assert r.status == 400 and (await r.json())["details"][0]["path"] == "token"
    await rc_client.post("/_emulator/presence", json={"provider": P, "tenant": T, "user": "u1",
                                                      "platform": "PC", "online": True})
    dump = await (await rc_client.get("/_emulator/state", params={"provider": P})).json()
    assert dump[P][T]["presence"]["online"] == {"u1": {"PC": presence.online["u1"]["PC"]}}
    # reset forgets it, load brings it back, and the listener list survives both
    listener_calls = []
    rt.providers[P].backend.presence_listeners.append(listener_calls.append)
    await rc_client.post("/_emulator/reset")
    assert rt.providers[P].backend.presence(T).listing() == {}
    r = await rc_client.put("/_emulator/state", json=dump)
    assert r.status == 200
    restored = rt.providers[P].backend.presence(T)
    assert restored.check("tok-a", rt.clock.now_ms()).valid and restored.is_online("u1", "PC")
    restored.go_offline("u1", rt.clock.now_ms(), "kicked")
    assert [c.tenant_id for c in listener_calls] == [T]
    r = await rc_client.get("/_emulator/state/check")
    assert r.status == 200
    restored.by_user["u1"].append("ghost")
    r = await rc_client.get("/_emulator/state/check")
    assert r.status == 409 and any("ghost" in p or "does not own" in p
                                   for p in (await r.json())["problems"][P])


# --- the pytest fixture's methods --------------------------------------------------------------------

def test_fixture_methods(im_emulator):
    view = im_emulator.set_online(P, T, "fx1", "Android")
    assert view["online"] is True and list(view["platforms"]) == ["Android"]
    assert im_emulator.presence(P, T)["users"] == {"fx1": view["platforms"]}
    assert im_emulator.presence(P, T, "fx1")["platforms"] == view["platforms"]
    assert im_emulator.set_online(P, T, "fx1", online=False)["online"] is False
    assert im_emulator.check_token(P, T, "never-seen") == {
        "valid": False, "reason": "never issued", "user": None, "platform": None, "expires_at": None}


def test_fixture_check_token_of_an_issued_rongcloud_token(im_emulator):
    from tests.test_pytest_plugin import rc_post
    status, body = rc_post(im_emulator.url, "/user/getToken.json", {"userId": "fx2", "name": "F"})
    assert (status, body["code"]) == (200, 200)
    assert im_emulator.check_token(P, T, body["token"])["valid"] is True
    im_emulator.set_online(P, T, "fx2", "PC")
    rc_post(im_emulator.url, "/user/block.json", {"userId": "fx2", "minute": "5"})
    check = im_emulator.check_token(P, T, body["token"])
    assert check["valid"] is False and check["reason"].startswith("user blocked until ")
    assert im_emulator.presence(P, T, "fx2")["online"] is False


async def test_presence_query_errors_and_providers_without_presence(client):
    r = await client.get("/_emulator/presence", params={"provider": P})
    assert r.status == 400 and (await r.json())["details"][0]["path"] == "tenant"
    r = await client.get("/_emulator/tokens/check", params={"provider": P, "tenant": "nope", "token": "x"})
    assert r.status == 404
    r = await client.post("/_emulator/presence", data=b"[1]")
    assert r.status == 400
    # a provider that keeps no presence (yet) says so instead of pretending
    rt = client.app[RUNTIME]
    for name, provider in rt.providers.items():
        tid = sorted(provider.backend.tenants)[0]
        if provider.backend.presence(tid) is None:
            r = await client.get("/_emulator/presence", params={"provider": name, "tenant": tid})
            assert r.status == 400 and "keeps no presence" in (await r.json())["error"]
            r = await client.post("/_emulator/tokens/check", json={"provider": name, "tenant": tid, "token": "x"})
            assert (await r.json())["valid"] is False
