"""OpenIM envelope and auth: headers, token store, token errors, rate limit, 404/OPTIONS."""

from __future__ import annotations

import jwt
import pytest

from tests.openim_support import (ADMIN, SECRET, decode, get_admin_token, get_user_token,
                                  openim_call, openim_settings, openim_tenant)


@pytest.fixture
def settings():
    return openim_settings()


async def test_operation_id_checked_before_token(client):
    status, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": ["x"]}, operation_id=None)
    assert status == 200
    assert body == {"errCode": 1001, "errMsg": "ArgsError", "errDlt": "header must have operationID"}


async def test_missing_token(client):
    _, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": ["x"]})
    assert body == {"errCode": 1001, "errMsg": "ArgsError", "errDlt": "header must have token"}


async def test_admin_token_claims_and_expiry(client):
    _, body = await openim_call(client, "/auth/get_admin_token", {"secret": SECRET, "userID": ADMIN})
    assert body["errCode"] == 0 and body["data"]["expireTimeSeconds"] == 7776000
    claims = decode(body["data"]["token"])
    assert claims["UserID"] == ADMIN and claims["PlatformID"] == 10
    assert claims["exp"] - claims["iat"] == 7776000 + 5 and "nbf" not in claims


async def test_admin_token_errors(client):
    _, body = await openim_call(client, "/auth/get_admin_token", {"secret": SECRET, "userID": ""})
    assert (body["errCode"], body["errDlt"]) == (1001, "userID is empty")
    _, body = await openim_call(client, "/auth/get_admin_token", {"secret": "nope", "userID": ADMIN})
    assert (body["errCode"], body["errMsg"], body["errDlt"]) == (1002, "NoPermissionError", "secret invalid")
    _, body = await openim_call(client, "/auth/get_admin_token", {"secret": SECRET, "userID": "bob"})
    assert (body["errCode"], body["errDlt"]) == (1001, "userID is error., userID=bob, adminUserID=[imAdmin]")
    _, body = await openim_call(client, "/auth/get_admin_token", {"secret": SECRET, "userID": ADMIN}, operation_id=None)
    assert body["errDlt"] == "header must have operationID"


async def test_user_token_rules(client, openim_admin_token):
    tok = await get_user_token(client, openim_admin_token, "bob", 2)
    assert decode(tok)["UserID"] == "bob" and decode(tok)["PlatformID"] == 2
    cases = [({"userID": "bob", "platformID": 10}, 1002, "platformID invalid. platformID must not be adminPlatformID"),
             ({"userID": ADMIN, "platformID": 1}, 1002, "don't get Admin token"),
             ({"userID": "ghost", "platformID": 1}, 1004, "record not found")]
    for req, code, dlt in cases:
        _, body = await openim_call(client, "/auth/get_user_token", req, token=openim_admin_token)
        assert (body["errCode"], body["errDlt"]) == (code, dlt)
    _, body = await openim_call(client, "/auth/get_user_token", {"userID": "tommy", "platformID": 1}, token=tok)
    assert (body["errCode"], body["errDlt"]) == (1002, "user bob is not admin userID")


async def test_relogin_kicks_old_token_1506(client, openim_admin_token):
    first = await get_user_token(client, openim_admin_token, "bob", 1)
    other = await get_user_token(client, openim_admin_token, "bob", 2)
    second = await get_user_token(client, openim_admin_token, "bob", 1)
    assert first != second
    _, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": ["x"]}, token=first)
    assert (body["errCode"], body["errMsg"], body["errDlt"]) == (1506, "TokenKickedError", "TokenKickedError")
    for tok in (second, other):
        _, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": ["x"]}, token=tok)
        assert body["errCode"] == 0


async def test_force_logout(client, openim_admin_token):
    tok = await get_user_token(client, openim_admin_token, "bob", 5)
    _, body = await openim_call(client, "/auth/force_logout", {"userID": "bob", "platformID": 11}, token=openim_admin_token)
    assert (body["errCode"], body["errDlt"]) == (1001, "platformID is invalidate")
    _, body = await openim_call(client, "/auth/force_logout", {"userID": "bob", "platformID": 5}, token=tok)
    assert body["errCode"] == 1002
    _, body = await openim_call(client, "/auth/force_logout", {"userID": "bob", "platformID": 5}, token=openim_admin_token)
    assert body == {"errCode": 0, "errMsg": "", "errDlt": ""}
    _, body = await openim_call(client, "/auth/parse_token", {"token": tok})
    assert body["errCode"] == 1506


async def test_token_errors(client, openim_admin_token):
    claims = decode(openim_admin_token)
    forged = jwt.encode(claims | {"UserID": "bob", "PlatformID": 1}, SECRET, algorithm="HS256")
    wrong = jwt.encode(claims, "other-secret-xxxxxxxxxxxxxxxxxxxxxxxxxx", algorithm="HS256")
    cases = [("abc", 1503, "TokenMalformedError"), ("a.b.c", 1503, "TokenMalformedError"),
             (wrong, 1505, "signature is invalid")]
    for tok, code, msg in cases:     # patch.16 (the default): "<code> <errMsg> jwt parse error, token=<t>"
        _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=tok)
        assert (body["errCode"], body["errMsg"], body["errDlt"]) == (
            code, msg, f"{code} {msg} jwt parse error, token={tok}"), tok
    _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=forged)
    assert (body["errCode"], body["errMsg"], body["errDlt"]) == (1507, "TokenNotExistError", "TokenNotExistError")
    # a signed admin token that was never issued passes in both tags (versions fact sheet 2.1)
    admin_forged = jwt.encode(claims | {"iat": claims["iat"] - 1}, SECRET, algorithm="HS256")
    _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=admin_forged)
    assert body["errCode"] == 0


async def test_expired_token_1501(client, openim_admin_token):
    status, _ = await _clock(client, {"advance_s": 90 * 86400 + 1})
    assert status == 200
    _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=openim_admin_token)
    assert (body["errCode"], body["errMsg"]) == (1501, "TokenExpiredError")


async def _clock(client, body):
    resp = await client.post("/_emulator/clock", json=body)
    return resp.status, await resp.json()


async def test_older_admin_token_valid_five_minutes(client, runtime):
    """With admin_tokens_stateless off (main's store; both tags ignore the store for admins)."""
    openim_tenant(runtime).settings["admin_tokens_stateless"] = False
    old = await get_admin_token(client)
    await _clock(client, {"advance_s": 2})
    new = await get_admin_token(client)
    assert old != new
    _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=old)
    assert body["errCode"] == 0
    await _clock(client, {"advance_s": 301})
    _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=old)
    assert body["errCode"] == 1507
    _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=new)
    assert body["errCode"] == 0


async def test_parse_token(client, openim_admin_token):
    _, body = await openim_call(client, "/auth/parse_token", {"token": openim_admin_token})
    assert body["data"] == {"userID": ADMIN, "platformID": 10, "expireTimeSeconds": decode(openim_admin_token)["exp"]}
    _, body = await openim_call(client, "/auth/parse_token", {"token": ""})
    assert (body["errCode"], body["errDlt"]) == (1001, "userID is empty")


async def test_body_errors(client, openim_admin_token):
    for raw in (b"", b"{", b"[1]"):
        _, body = await openim_call(client, "/group/create_group", raw=raw, token=openim_admin_token)
        assert body["errCode"] == 1001 and body["errDlt"] == "" and body["errMsg"] != "ArgsError"
    _, body = await openim_call(client, "/group/create_group", {"groupInfo": {"groupType": "2"}}, token=openim_admin_token)
    assert body["errCode"] == 1001 and "cannot unmarshal string" in body["errMsg"]


async def test_keys_case_insensitive_unknown_ignored(client, openim_admin_token):
    _, body = await openim_call(client, "/user/get_users_info", {"USERIDS": ["bob"], "zzz": 1}, token=openim_admin_token)
    assert [u["userID"] for u in body["data"]["usersInfo"]] == ["bob"]


async def test_unknown_path_and_options(client, openim_admin_token):
    status, body = await openim_call(client, "/group/no_such_route", {}, token=openim_admin_token)
    assert status == 404 and body["errCode"] == 404
    status, body = await openim_call(client, "/group/no_such_route", {}, operation_id=None)
    assert status == 200 and body["errDlt"] == "header must have operationID"
    resp = await client.options("/group/create_group")
    assert resp.status == 200 and await resp.text() == '"Options Request!"'
    resp = await client.get("/group/create_group")
    assert resp.status == 404 and (await resp.json())["errCode"] == 404


async def test_rate_limit_429(client, runtime, openim_admin_token):
    openim_tenant(runtime).settings["rate_limit"] = 2
    await _clock(client, {"freeze_at": 1_800_000_000})
    tok = await get_admin_token(client)
    codes = []
    for _ in range(3):
        status, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=tok)
        codes.append(status)
    assert codes == [200, 200, 429]
    assert body == {"errCode": 429, "errMsg": "too many requests, please try again later"}


async def test_state_round_trip(client, runtime, openim_admin_token):
    await openim_call(client, "/group/create_group", {"ownerUserID": "bob", "memberUserIDs": ["tommy"],
                      "groupInfo": {"groupType": 2}}, token=openim_admin_token)
    backend = runtime.providers["openim"].backend
    dumped = backend.dump()
    backend.load(dumped)
    assert backend.dump() == dumped
    assert backend.check() == []


async def test_cached_token_is_still_checked_for_expiry_and_kick(client, openim_admin_token):
    """A verified token is remembered; expiry and the token store are checked on every call."""
    tok = await get_user_token(client, openim_admin_token, "bob", 5)
    for _ in range(2):   # the second call hits the cache
        _, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": ["x"]}, token=tok)
        assert body["errCode"] == 0
    _, body = await openim_call(client, "/auth/force_logout", {"userID": "bob", "platformID": 5},
                                token=openim_admin_token)
    assert body["errCode"] == 0
    _, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": ["x"]}, token=tok)
    assert body["errCode"] == 1506
    assert (await _clock(client, {"advance_s": 90 * 86400 + 1}))[0] == 200
    _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=openim_admin_token)
    assert (body["errCode"], body["errMsg"]) == (1501, "TokenExpiredError")


def test_token_cache_is_keyed_by_secret_and_bounded():
    from emulator.providers.openim import auth
    from emulator.providers.openim.errors import OpenIMError
    tok = jwt.encode({"UserID": ADMIN, "PlatformID": 10, "exp": 2**40}, SECRET, algorithm="HS256")

    class T:   # a tenant whose store holds the token
        def __init__(self, secret):
            self.secret, self.tokens, self.temp_tokens = secret, {tok: [ADMIN, 10, 0, 2**40]}, {}

        def is_admin(self, uid):
            return False

    assert auth.verify(tok, {SECRET: T(SECRET)}, 0)[1]["UserID"] == ADMIN   # now cached
    with pytest.raises(OpenIMError) as err:
        auth.verify(tok, {"another-secret": T("another-secret")}, 0)
    assert err.value.code == 1505
    for i in range(auth.VERIFIED_CACHE_SIZE + 5):
        auth._signed.remember((str(i), SECRET), None)
    assert len(auth._signed) <= auth.VERIFIED_CACHE_SIZE


def test_accepted_token_cache_still_answers_every_store_and_claims_change():
    """A token verified once skips decoding and the HMAC, never the checks that can change:
    expiry against the clock, the store's row (kicked, removed) and the holder's secret."""
    from emulator.providers.openim import auth
    from emulator.providers.openim.errors import OpenIMError
    tok = jwt.encode({"UserID": "bob", "PlatformID": 1, "exp": 1000, "iat": 10}, SECRET,
                     algorithm="HS256")

    class T:
        def __init__(self, secret):
            self.secret, self.tokens, self.temp_tokens = secret, {tok: ["bob", 1, 0, 1000]}, {}

        def is_admin(self, uid):
            return False

        def setting(self, name):
            return False

    def code(tenants, now):
        try:
            auth.verify(tok, tenants, now)
        except OpenIMError as err:
            return err.code
        return 0

    t = T(SECRET)
    assert code({"a": t}, 20) == 0 and tok in auth._accepted       # cached from here on
    assert code({"a": t}, 5) == 1505          # before iat ("Token used before issued")
    assert code({"a": t}, 1000) == 1501       # expired
    t.tokens[tok][2] = auth.KICKED
    assert code({"a": t}, 20) == 1506
    t.tokens[tok][2] = auth.INVALID
    assert code({"a": t}, 20) == 1505
    del t.tokens[tok]
    assert code({"a": t}, 20) == 1507         # no longer in the store: TokenNotExist
    t.tokens[tok] = ["bob", 1, 0, 1000]
    t.secret = "another-secret"
    assert code({"a": t}, 20) == 1505         # the holder's secret changed: signature invalid
    other = T("another-secret")
    assert code({"b": other, "a": T(SECRET)}, 20) == 1505   # the first holder's secret decides
    assert code({"a": T(SECRET)}, 20) == 0
    for i in range(auth.VERIFIED_CACHE_SIZE + 5):
        auth._accepted.remember(str(i), (SECRET, {}))
    assert len(auth._accepted) <= auth.VERIFIED_CACHE_SIZE
