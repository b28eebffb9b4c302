"""RongCloud hosted user profiles, one-to-one blocklists and user seeds, through signed HTTP."""

from __future__ import annotations

import json

import pytest

from emulator.app import RUNTIME
from tests.rongcloud_support import RC_APP_KEY

P, T = "rongcloud", RC_APP_KEY
T0 = 1_767_225_600


def tenant(client):
    return client.app[RUNTIME].providers[P].backend.tenants[T]


async def freeze(client, t=T0):
    await client.post("/_emulator/clock", json={"freeze_at": t})


# --- hosted profiles --------------------------------------------------------------------------------

async def test_profile_set_merge_and_queries(rc_client, rc):
    await freeze(rc_client)
    await rc("/user/profile/set.json", {"userId": "u1", "userProfile": '{"name":"Nick"}',
                                        "userExtProfile": '{"ext_Profile":"testpro1"}'})   # the doc example
    await rc("/user/profile/set.json", {"userId": "u2", "userProfile": json.dumps(
        {"uniqueId": "x1", "email": "a@b.c", "birthday": "2000-01-01", "gender": 2, "location": "Here",
         "role": 100, "level": "0", "portraitUri": "p" * 1024, "name": "n" * 64}), "userExtProfile": ""})
    await rc("/user/profile/set.json", {"userId": "u1", "userProfile": '{"gender":1}', "userExtProfile": ""})
    batch = await rc("/user/profile/batch/query.json", {"userId": ["u2", "nobody", "u1"]})
    assert [u["userId"] for u in batch["userList"]] == ["u2", "u1"]
    u1 = batch["userList"][1]
    assert json.loads(u1["userProfile"]) == {"name": "Nick", "gender": 1}
    assert json.loads(u1["userExtProfile"]) == {"ext_Profile": "testpro1"}
    assert isinstance(u1["userProfile"], str) and u1["version"] == T0 * 1000 + 1   # grows on every set
    assert json.loads(batch["userList"][0]["userProfile"])["level"] == 0            # numbers stored as numbers
    page = await rc("/user/profile/query.json", {})
    assert [u["userId"] for u in page["userList"]] == ["u1", "u2"] and "version" not in page["userList"][0]
    assert [u["userId"] for u in (await rc("/user/profile/query.json", {"order": "1"}))["userList"]] == ["u2", "u1"]
    assert [u["userId"] for u in (await rc("/user/profile/query.json", {"page": "2", "size": "1"}))["userList"]] == ["u2"]
    assert [u["userId"] for u in (await rc("/user/profile/query.json", {"page": "2", "count": "1"}))["userList"]] == ["u2"]
    # comma-joined ids ([JAVA]) work like repeated keys
    assert len((await rc("/user/profile/batch/query.json", {"userId": "u1,u2"}))["userList"]) == 2
    # push info (getToken/refresh) and the hosted profile are separate stores
    assert (await rc("/user/info.json", {"userId": "u1"}))["userName"] == ""


@pytest.mark.parametrize("form,code", [
    ({"userId": "u1"}, 1002),                                                  # neither given
    ({"userId": "u1", "userProfile": "{nope"}, 1002),
    ({"userId": "u1", "userProfile": "[1]"}, 1002),
    ({"userProfile": '{"name":"x"}'}, 1002),
    ({"userId": "u1", "userProfile": '{"nickname":"x"}'}, 24361),
    ({"userId": "u1", "userExtProfile": '{"Profile":"x"}'}, 24362),           # no ext_ prefix
    ({"userId": "u1", "userExtProfile": '{"ext_a1":"x"}'}, 24362),            # letters only
    ({"userId": "u1", "userExtProfile": json.dumps({"ext_" + "a" * 29: "x"})}, 24362),   # > 32
    ({"userId": "u1", "userExtProfile": json.dumps({f"ext_{chr(97 + i)}": "x" for i in range(21)})}, 24363),
    ({"userId": "u1", "userProfile": json.dumps({"name": "n" * 65})}, 24364),
    ({"userId": "u1", "userProfile": json.dumps({"portraitUri": "p" * 1025})}, 24364),
    ({"userId": "u1", "userProfile": json.dumps({"uniqueId": "u" * 33})}, 24364),
    ({"userId": "u1", "userExtProfile": json.dumps({"ext_a": "v" * 257})}, 24364),
    ({"userId": "u1", "userProfile": '{"gender":"male"}'}, 24367),
    ({"userId": "u1", "userProfile": '{"level":true}'}, 24367),
    ({"userId": "u1", "userProfile": '{"gender":3}'}, 24368),
    ({"userId": "u1", "userProfile": '{"role":101}'}, 24368),
    ({"userId": "u1", "userProfile": '{"email":5}'}, 1002),
])
async def test_profile_set_errors(rc_client, rc, form, code):
    body = await rc("/user/profile/set.json", form, expect=code)
    if code != 1002:
        assert body["msg"] == body["errorMessage"]   # the Go SDK reads `msg` on these APIs
    assert tenant(rc_client).users.profiles == {}


async def test_profile_settings(rc_client, rc):
    s = tenant(rc_client).settings
    s.strict_profile_limits = True
    await rc("/user/profile/set.json", {"userId": "u1", "userProfile": json.dumps({"name": "n" * 33})}, expect=24364)
    await rc("/user/profile/set.json", {"userId": "u1", "userProfile": json.dumps({"name": "n" * 32})})
    s.user_ext_keys = ["ext_known"]
    await rc("/user/profile/set.json", {"userId": "u1", "userExtProfile": '{"ext_other":"x"}'}, expect=24362)
    await rc("/user/profile/set.json", {"userId": "u1", "userExtProfile": '{"ext_known":"x"}'})
    s.max_user_ext_pairs = 1
    s.user_ext_keys = None
    await rc("/user/profile/set.json", {"userId": "u1", "userExtProfile": '{"ext_more":"x"}'}, expect=24363)
    s.user_profile_hosting = False
    for path, form in [("/user/profile/set.json", {"userId": "u1", "userProfile": "{}"}),
                       ("/user/profile/batch/query.json", {"userId": "u1"}),
                       ("/user/profile/query.json", {})]:
        assert (await rc(path, form, expect=24369))["msg"]


async def test_profile_clean(rc_client, rc):
    for uid in ("u1", "u2", "u3"):
        await rc("/user/profile/set.json", {"userId": uid, "userProfile": '{"level":1}'})
    await rc("/user/profile/clean.json", {"userId": "u1,u3,never"})
    assert [u["userId"] for u in (await rc("/user/profile/query.json", {}))["userList"]] == ["u2"]
    await rc("/user/profile/clean.json", {"userId": ",".join(f"u{i}" for i in range(101))}, expect=1002)
    tenant(rc_client).settings.user_profile_hosting = False
    await rc("/user/profile/clean.json", {"userId": "u2"}, expect=24369)
    assert list(tenant(rc_client).users.profiles) == ["u2"]


@pytest.mark.parametrize("path,form,code", [
    ("/user/profile/batch/query.json", {"userId": ",".join(f"u{i}" for i in range(101))}, 24365),
    ("/user/profile/batch/query.json", {}, 1003),             # nothing posted
    ("/user/profile/query.json", {"size": "101"}, 1002),
    ("/user/profile/query.json", {"page": "0"}, 1002),
    ("/user/profile/query.json", {"order": "2"}, 1002),
])
async def test_profile_query_errors(rc, path, form, code):
    await rc(path, form, expect=code)


async def test_profile_batch_limit_accepted(rc):
    assert (await rc("/user/profile/batch/query.json",
                     {"userId": [f"u{i}" for i in range(100)]}))["userList"] == []


# --- blocklist --------------------------------------------------------------------------------------

async def test_blacklist(rc):
    await rc("/user/blacklist/add.json", {"userId": "u1", "blackUserId": ["a", "b"]})
    await rc("/user/blacklist/add.json", {"userId": "u1", "blackUserId": "c,a"})
    assert await rc("/user/blacklist/query.json", {"userId": "u1"}) == {"code": 200, "users": ["c", "b", "a"]}
    first = await rc("/user/blacklist/query.json", {"userId": "u1", "size": "2"})
    assert first["users"] == ["c", "b"] and first["next"]
    rest = await rc("/user/blacklist/query.json", {"userId": "u1", "size": "2", "pageToken": first["next"]})
    assert rest == {"code": 200, "users": ["a"]}
    await rc("/user/blocklist/remove.json", {"userId": "u1", "blackUserId": ["b", "zz"]})   # doc's alias path
    assert (await rc("/user/blocklist/query.json", {"userId": "u1"}))["users"] == ["c", "a"]
    await rc("/user/blacklist/remove.json", {"userId": "u1", "blackUserId": "c,a"})
    assert (await rc("/user/blacklist/query.json", {"userId": "u1"}))["users"] == []
    await rc("/user/blacklist/remove.json", {"userId": "nobody", "blackUserId": "x"})


@pytest.mark.parametrize("path,form,code", [
    ("/user/blacklist/add.json", {"userId": "u1"}, 1002),
    ("/user/blacklist/add.json", {"blackUserId": "x"}, 1002),
    ("/user/blacklist/add.json", {"userId": "u1", "blackUserId": [f"b{i}" for i in range(21)]}, 1002),
    ("/user/blacklist/remove.json", {"userId": "u1", "blackUserId": [f"b{i}" for i in range(21)]}, 1002),
    ("/user/blacklist/query.json", {"userId": "u1", "size": "1001"}, 1002),
    ("/user/blacklist/query.json", {"userId": "u1", "pageToken": "garbage!"}, 1002),
    ("/user/blacklist/query.json", {}, 1003),
    ("/user/blacklist/query.json", {"size": "5"}, 1002),
])
async def test_blacklist_errors(rc, path, form, code):
    await rc(path, form, expect=code)


async def test_blacklist_total_cap_1502(rc_client, rc):
    t = tenant(rc_client)
    t.users.blacklists["u1"] = {f"b{i}": 0 for i in range(2990)}
    await rc("/user/blacklist/add.json", {"userId": "u1", "blackUserId": [f"n{i}" for i in range(10)]})
    body = await rc("/user/blacklist/add.json", {"userId": "u1", "blackUserId": "one-more"}, expect=1502)
    assert "3000" in body["errorMessage"] and len(t.users.blacklists["u1"]) == 3000
    await rc("/user/blacklist/add.json", {"userId": "u1", "blackUserId": "b0"})   # already there: no growth


# --- allowlist ---------------------------------------------------------------------------------------

async def test_whitelist(rc_client, rc):
    await rc("/user/whitelist/add.json", {"userId": "u1", "whiteUserId": ["a", "b"]})
    await rc("/user/whitelist/add.json", {"userId": "u1", "whiteUserId": "c,a"})
    assert await rc("/user/whitelist/query.json", {"userId": "u1"}) == {"code": 200, "users": ["a", "b", "c"]}
    await rc("/user/whitelist/remove.json", {"userId": "u1", "whiteUserId": "b"})
    assert (await rc("/user/whitelist/query.json", {"userId": "u1"}))["users"] == ["a", "c"]
    assert (await rc("/user/blacklist/query.json", {"userId": "u1"}))["users"] == []   # separate lists
    await rc("/user/deactivate.json", {"userId": "u1"})                                 # deactivation clears it
    assert (await rc("/user/whitelist/query.json", {"userId": "u1"}))["users"] == []
    t = tenant(rc_client)
    t.users.whitelists["u2"] = {f"w{i}": 0 for i in range(3000)}
    await rc("/user/whitelist/add.json", {"userId": "u2", "whiteUserId": "x"}, expect=1502)


@pytest.mark.parametrize("path,form,code", [
    ("/user/whitelist/add.json", {"userId": "u1"}, 1002),
    ("/user/whitelist/add.json", {"userId": "u1", "whiteUserId": [f"w{i}" for i in range(21)]}, 1002),
    ("/user/whitelist/remove.json", {"whiteUserId": "x"}, 1002),
    ("/user/whitelist/query.json", {"userId": ""}, 1002),
])
async def test_whitelist_errors(rc, path, form, code):
    await rc(path, form, expect=code)


# --- scenario seeds -----------------------------------------------------------------------------------

def seed_doc(users, **settings):
    app = {"app_key": "seedapp", "app_secret": "seedsecret", "users": users, **settings}
    return {"rongcloud": {"apps": [app]}}


async def test_seeded_users(rc_client):
    r = await rc_client.post("/_emulator/scenario", json=seed_doc([
        {"userId": "s1", "name": "Seed", "portraitUri": "http://p", "userProfile": {"name": "Nick", "level": 3},
         "userExtProfile": {"ext_team": "red"}},
        {"userId": "s2"}], user_ext_keys=["ext_team"]))
    assert r.status == 200, await r.text()
    t = rc_client.app[RUNTIME].providers[P].backend.tenants["seedapp"]
    assert t.users.users["s1"].name == "Seed" and t.users.profiles["s1"].userProfile == {"name": "Nick", "level": 3}
    assert "s2" in t.users.users and "s2" not in t.users.profiles
    assert (await rc_client.get("/_emulator/state/check")).status == 200


@pytest.mark.parametrize("users,settings,path", [
    ([{"userId": "bad id"}], {}, "users[0].userId"),
    ([{"name": "x"}], {}, "users[0].userId"),
    ([{"userId": "a"}, {"userId": "a"}], {}, "users[1].userId"),
    ([{"userId": "a", "userProfile": {"gender": 9}}], {}, "users[0]"),
    ([{"userId": "a", "userExtProfile": {"ext_x": "1"}}], {"user_ext_keys": ["ext_y"]}, "users[0]"),
    ([{"userId": "a"}, {"userId": "b"}], {"max_users": 1}, "users"),
    ([], {"user_ext_keys": ["nope"]}, "user_ext_keys"),
])
async def test_bad_user_seeds_are_refused_whole(rc_client, users, settings, path):
    r = await rc_client.post("/_emulator/scenario", json=seed_doc(users, **settings))
    assert r.status == 400
    body = await r.json()
    assert any(path in d["path"] for d in body["details"]), body
    assert "seedapp" not in rc_client.app[RUNTIME].providers[P].backend.tenants
