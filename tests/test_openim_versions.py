"""OpenIM version profiles: every entry of ../shared/reference/openim-versions.md, run against a
scenario with one tenant of each version side by side (fixtures/openim-versions.yaml).

Each test runs twice (``version`` is parametrized); ``im.pick(p16, v383)`` is the answer the
fact sheet gives for the tenant's version. Tokens come from the emulator's own /auth routes.
"""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from emulator.settings import Settings
from tests.openim_support import decode, get_admin_token, get_user_token, openim_call, openim_tenant

P16, V383 = "v3.8.3-patch.16", "v3.8.3"
SECRETS = {P16: "openIM123", V383: "openIM383"}
SCENARIO = Path(__file__).resolve().parent.parent / "fixtures" / "openim-versions.yaml"
PAGE = {"pageNumber": 1, "showNumber": 50}
MONGO = {P16: "mongo: no documents in result mongo find one", V383: "mongo find one"}


@pytest.fixture
def settings():
    return Settings(port=0, providers=("openim",), scenario=SCENARIO)


@pytest.fixture(params=[P16, V383])
def version(request):
    return request.param


class IM:
    """One tenant of the side-by-side scenario: its admin token, user tokens, calls."""

    def __init__(self, client, version: str, admin: str) -> None:
        self.client, self.version, self.admin = client, version, admin
        self.secret = SECRETS[version]
        self.mongo = MONGO[version]
        self._tokens: dict = {}

    def pick(self, p16, v383):
        return p16 if self.version == P16 else v383

    def check(self, text: str) -> str:
        """errDlt of an API-side Check failure (1.1): the text in patch.16, "" in v3.8.3."""
        return self.pick(text, "")

    async def token(self, uid: str | None) -> str:
        if uid is None:
            return self.admin
        if uid not in self._tokens:
            self._tokens[uid] = await get_user_token(self.client, self.admin, uid)
        return self._tokens[uid]

    async def raw(self, path: str, body: dict, as_: str | None = None):
        return await openim_call(self.client, path, body, token=await self.token(as_))

    async def body(self, path: str, body: dict, as_: str | None = None) -> dict:
        return (await self.raw(path, body, as_))[1]

    async def err(self, path: str, body: dict, as_: str | None = None) -> tuple[int, str]:
        resp = await self.body(path, body, as_)
        return resp["errCode"], resp["errDlt"]

    async def ok(self, path: str, body: dict, as_: str | None = None):
        resp = await self.body(path, body, as_)
        assert resp["errCode"] == 0, (path, body, resp)
        return resp.get("data")

    async def group(self, owner="leckie", members=("bob",), admins=("tommy",), **info) -> str:
        data = await self.ok("/group/create_group", {
            "ownerUserID": owner, "memberUserIDs": list(members), "adminUserIDs": list(admins),
            "groupInfo": {"groupType": 2, "groupName": "g"} | info})
        return data["groupInfo"]["groupID"]

    async def member_ids(self, gid: str) -> list:
        return (await self.ok("/group/get_group_member_user_id", {"groupID": gid}))["userIDs"] or []

    async def set_settings(self, runtime, **values) -> None:
        openim_tenant(runtime, self.secret).settings.update(values)


@pytest.fixture
async def im(client, version) -> IM:
    return IM(client, version, await get_admin_token(client, secret=SECRETS[version]))


# --- profile plumbing --------------------------------------------------------------------------
async def test_profile_in_state_and_scenario(client):
    resp = await client.get("/_emulator/state", params={"provider": "openim"})
    tenants = (await resp.json())["openim"]
    assert {t["secret"]: t["settings"]["version"] for t in tenants.values()} == {v: k for k, v in SECRETS.items()}
    bad = {"openim": {"tenants": [{"secret": "s1", "settings": {"version": "v9.9"}}]}}
    resp = await client.post("/_emulator/scenario", json=bad)
    assert resp.status == 400
    text = await resp.text()
    assert "settings.version" in text and "unknown OpenIM version 'v9.9'" in text
    # the default profile is patch.16, written into the state
    resp = await client.post("/_emulator/scenario", json={"openim": {"tenants": [{"secret": "s2"}]}})
    assert resp.status == 200, await resp.text()
    resp = await client.get("/_emulator/state", params={"provider": "openim"})
    [tenant] = (await resp.json())["openim"].values()
    assert tenant["settings"] == {"version": P16}


async def test_state_with_unknown_version_refused(client):
    resp = await client.get("/_emulator/state")
    text = (await resp.text()).replace('"version":"v3.8.3"', '"version":"v0"')
    assert '"version":"v0"' in text
    resp = await client.put("/_emulator/state", data=text, headers={"Content-Type": "application/json"})
    assert resp.status == 400
    resp = await client.get("/_emulator/state")     # nothing half-loaded
    assert '"version":"v3.8.3"' in await resp.text()


async def test_individual_setting_overrides_profile(client, runtime, version, im):
    gid = await im.group()
    await im.set_settings(runtime, read_permission_checks=True, error_format=P16)
    assert await im.err("/group/get_group_members_info", {"groupID": gid, "userIDs": ["bob"]}, "jared") == \
        (1002, "op user not in group")
    assert await im.err("/group/create_group", {"ownerUserID": "bob"}) == (1001, "groupInfo is empty")


# --- 1.1 / 1.2: Check failures -----------------------------------------------------------------
async def test_header_errors_follow_the_only_profile(client):
    for version, secret in SECRETS.items():
        resp = await client.post("/_emulator/scenario",
                                 json={"openim": {"tenants": [{"secret": secret, "settings": {"version": version}}]}})
        assert resp.status == 200
        _, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": ["x"]}, operation_id=None)
        assert body == {"errCode": 1001, "errMsg": "ArgsError",
                        "errDlt": "header must have operationID" if version == P16 else ""}
        _, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": ["x"]})
        assert body["errDlt"] == ("header must have token" if version == P16 else "")


async def test_header_errors_mixed_profiles_use_the_default(client):
    _, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": ["x"]}, operation_id=None)
    assert body["errDlt"] == "header must have operationID"


CHECKS = [   # (path, body, text) of table 1.2, each failing on its first rule
    ("/auth/force_logout", {"userID": "bob", "platformID": 11}, "platformID is invalidate"),
    ("/auth/force_logout", {"platformID": 1}, "userID is empty"),
    ("/user/user_register", {}, "users are empty"),
    ("/user/user_register", {"users": [None]}, "user is empty"),
    ("/user/user_register", {"users": [{"userID": "a-b", "nickname": "x"}]}, "userID is legal"),
    ("/user/user_register", {"users": [{"userID": "ab"}]}, "user name is empty"),
    ("/user/get_users_info", {}, "UserIDs is empty"),
    ("/user/account_check", {}, "CheckUserIDs is empty"),
    ("/user/get_all_users_uid", {}, "pagination is empty"),
    ("/user/get_all_users_uid", {"pagination": {"pageNumber": 0}}, "pageNumber is invalid"),
    ("/group/create_group", {}, "groupInfo is empty"),
    ("/group/create_group", {"groupInfo": {"groupType": 3}}, "GroupType is invalid"),
    ("/group/create_group", {"groupInfo": {"groupType": 2}}, "ownerUserID is empty"),
    ("/group/create_group", {"groupInfo": {"groupType": 2}, "ownerUserID": "bob",
                             "memberUserIDs": ["m"] * 1001}, "too many MemberUserIDs, need to be less than 1000"),
    ("/group/get_groups_info", {}, "GroupIDs is empty"),
    ("/group/set_group_info", {}, "GroupInfoForSets is empty"),
    ("/group/set_group_info", {"groupInfoForSet": {}}, "GroupID is empty"),
    ("/group/get_recv_group_applicationList", {}, "pagination is empty"),
    ("/group/get_recv_group_applicationList", {"pagination": PAGE}, "fromUserID is empty"),
    ("/group/get_user_req_group_applicationList", {"pagination": PAGE}, "UserID is empty"),
    ("/group/get_user_req_group_applicationList", {"userID": "bob"}, "pagination is empty"),
    ("/group/transfer_group", {}, "groupID is empty"),
    ("/group/transfer_group", {"groupID": "g"}, "oldOwnerUserID is empty"),
    ("/group/transfer_group", {"groupID": "g", "oldOwnerUserID": "a"}, "newOwnerUserID is empty"),
    ("/group/join_group", {"joinSource": 1}, "groupID is empty"),
    ("/group/join_group", {"groupID": "g", "joinSource": 5}, "joinSource is invalid"),
    ("/group/join_group", {"groupID": "g", "joinSource": 2}, "inviterUserID is empty"),
    ("/group/group_application_response", {"fromUserID": "bob"}, "groupID is empty"),
    ("/group/group_application_response", {"groupID": "g"}, "fromUserID is empty"),
    ("/group/group_application_response", {"groupID": "g", "fromUserID": "b", "handleResult": 2},
     "handleResult is invalid"),
    ("/group/quit_group", {}, "groupID is empty"),
    ("/group/get_group_member_list", {"pagination": PAGE}, "groupID is empty"),
    ("/group/get_group_member_list", {"groupID": "g"}, "pagination is empty"),
    ("/group/get_group_member_list", {"groupID": "g", "pagination": PAGE, "filter": 6}, "filter is invalid"),
    ("/group/get_group_members_info", {"userIDs": ["a"]}, "groupID is empty"),
    ("/group/get_group_members_info", {"groupID": "g"}, "userIDs is empty"),
    ("/group/kick_group", {"kickedUserIDs": ["a"]}, "groupID is empty"),
    ("/group/kick_group", {"groupID": "g"}, "kickUserIDs is empty"),
    ("/group/kick_group", {"groupID": "g", "kickedUserIDs": ["a"] * 1001},
     "too many KickedUserIDs, need to be less than 1000"),
    ("/group/get_joined_group_list", {"fromUserID": "bob"}, "pagination is empty"),
    ("/group/get_joined_group_list", {"pagination": PAGE}, "fromUserID is empty"),
    ("/group/invite_user_to_group", {"invitedUserIDs": ["a"]}, "groupID is empty"),
    ("/group/invite_user_to_group", {"groupID": "g"}, "invitedUserIDs is empty"),
    ("/group/get_groups", {}, "pagination is empty"),
    ("/group/get_groups", {"groupID": "g"}, "pagination is empty"),
    ("/group/dismiss_group", {}, "groupID is empty"),
    ("/group/mute_group_member", {"userID": "bob", "mutedSeconds": 5}, "groupID is empty"),
    ("/group/mute_group_member", {"groupID": "g", "mutedSeconds": 5}, "userID is empty"),
    ("/group/mute_group_member", {"groupID": "g", "userID": "bob"}, "mutedSeconds is empty"),
    ("/group/cancel_mute_group_member", {"userID": "bob"}, "groupID is empty"),
    ("/group/cancel_mute_group_member", {"groupID": "g"}, "userID is empty"),
    ("/group/mute_group", {}, "groupID is empty"),
    ("/group/cancel_mute_group", {}, "groupID is empty"),
    ("/group/set_group_member_info", {}, "members is empty"),
    ("/group/get_group_abstract_info", {}, "GroupID is empty"),
    ("/group/get_group_member_user_id", {}, "GroupID is empty"),
    ("/group/get_group_users_req_application_list", {"userIDs": ["a"]}, "GroupID is empty"),
    ("/group/get_group_users_req_application_list", {"groupID": "g"}, "UserID is empty"),
    ("/statistics/group/create", {"end": 5}, "start is invalid"),
    ("/statistics/group/create", {"start": 10, "end": 0}, "end is invalid"),
    ("/group/get_full_group_member_user_ids", {}, "groupID is empty"),
    ("/group/get_full_join_group_ids", {}, "userID is empty"),
]


async def test_check_failures(im):
    for path, body, text in CHECKS:
        assert await im.err(path, body) == (1001, im.check(text)), (path, body)
    resp = await im.body("/group/create_group", {})
    assert resp["errMsg"] == "ArgsError"


async def test_auth_checks(client, im):
    _, body = await openim_call(client, "/auth/get_admin_token", {"secret": im.secret, "userID": ""})
    assert (body["errCode"], body["errDlt"]) == (1001, im.check("userID is empty"))
    # no tenant to be had from an empty token: the default profile's text (mixed scenario)
    _, body = await openim_call(client, "/auth/parse_token", {"token": ""})
    assert (body["errCode"], body["errDlt"]) == (1001, "userID is empty")


# --- 1.4: [] reaches the RPC side as nil; its Check text shows in both versions ----------------
EMPTY_LISTS = [
    ("/group/get_groups_info", {"groupIDs": []}, "GroupIDs is empty"),
    ("/group/invite_user_to_group", {"groupID": "g", "invitedUserIDs": []}, "invitedUserIDs is empty"),
    ("/group/kick_group", {"groupID": "g", "kickedUserIDs": []}, "kickUserIDs is empty"),
    ("/group/get_group_members_info", {"groupID": "g", "userIDs": []}, "userIDs is empty"),
    ("/user/user_register", {"users": []}, "users are empty"),
    ("/group/set_group_member_info", {"members": []}, "members is empty"),
    ("/user/get_users_info", {"userIDs": []}, "UserIDs is empty"),
    ("/user/account_check", {"checkUserIDs": []}, "CheckUserIDs is empty"),
    ("/group/get_group_abstract_info", {"groupIDs": []}, "GroupID is empty"),
    ("/group/get_group_users_req_application_list", {"groupID": "g", "userIDs": []}, "UserID is empty"),
]


async def test_empty_lists(im):
    for path, body, text in EMPTY_LISTS:
        assert await im.err(path, body) == (1001, text), path
        # the same list as null fails the API-side Check instead (1.1)
        key = next(k for k, v in body.items() if v == [])
        assert await im.err(path, body | {key: None}) == (1001, im.check(text)), path


# --- 1.3: RPC-side texts ----------------------------------------------------------------------
async def test_wrap_and_mongo_texts(im):
    gid = await im.group(needVerification=0)
    dead = await im.group()
    await im.ok("/group/dismiss_group", {"groupID": dead})
    dismissed = (1204, "DismissedAlreadyError")
    assert await im.err("/group/join_group", {"groupID": dead, "joinSource": 3, "inviterUserID": "jared"}, "jared") == dismissed
    assert await im.err("/group/set_group_info", {"groupInfoForSet": {"groupID": dead, "groupName": "x"}}) == dismissed
    assert await im.err("/group/set_group_info_ex", {"groupID": dead, "ex": "x"}) == dismissed
    assert await im.err("/group/transfer_group", {"groupID": dead, "oldOwnerUserID": "leckie",
                                                  "newOwnerUserID": "bob"}) == dismissed
    assert await im.err("/group/get_incremental_group_members", {"groupID": dead}) == dismissed
    assert await im.err("/group/join_group", {"groupID": gid, "joinSource": 3, "inviterUserID": "bob"}, "bob") == \
        (1001, "ArgsError")
    nf = (1004, im.mongo)
    assert await im.err("/group/kick_group", {"groupID": "nope", "kickedUserIDs": ["bob"]}) == nf
    assert await im.err("/group/invite_user_to_group", {"groupID": "nope", "invitedUserIDs": ["bob"]}) == nf
    assert await im.err("/group/transfer_group", {"groupID": "nope", "oldOwnerUserID": "a", "newOwnerUserID": "b"}) == nf
    assert await im.err("/group/join_group", {"groupID": "nope", "joinSource": 3, "inviterUserID": "jared"}, "jared") == nf
    assert await im.err("/group/set_group_info", {"groupInfoForSet": {"groupID": "nope", "groupName": "x"}}) == nf
    assert await im.err("/group/set_group_info_ex", {"groupID": "nope", "ex": "x"}) == nf
    assert await im.err("/group/group_application_response", {"groupID": "nope", "fromUserID": "bob",
                                                              "handleResult": 1}) == nf
    assert await im.err("/group/get_incremental_group_members", {"groupID": "nope"}) == nf
    assert await im.err("/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["jared"]}, "jared") == nf
    assert await im.err("/group/quit_group", {"groupID": gid}, "jared") == nf
    assert await im.err("/group/group_application_response", {"groupID": gid, "fromUserID": "bob",
                                                              "handleResult": 1}, "jared") == nf
    assert await im.err("/group/group_application_response", {"groupID": gid, "fromUserID": "jared",
                                                              "handleResult": 1}) == nf
    assert await im.err("/group/mute_group", {"groupID": gid}, "jared") == nf
    assert await im.err("/group/cancel_mute_group", {"groupID": gid}, "jared") == nf
    assert await im.err("/group/set_group_info", {"groupInfoForSet": {"groupID": gid, "groupName": "x"}}, "jared") == nf
    assert await im.err("/group/set_group_info_ex", {"groupID": gid, "ex": "x"}, "jared") == nf
    assert await im.err("/group/mute_group_member", {"groupID": gid, "userID": "jared", "mutedSeconds": 9}) == nf
    assert await im.err("/group/mute_group_member", {"groupID": gid, "userID": "bob", "mutedSeconds": 9}, "jared") == nf
    assert await im.err("/group/cancel_mute_group_member", {"groupID": gid, "userID": "jared"}) == nf
    assert await im.err("/group/cancel_mute_group_member", {"groupID": gid, "userID": "bob"}, "jared") == nf
    assert await im.err("/user/update_user_info_ex", {"userInfo": {"userID": "ghost", "nickname": "x"}}) == nf
    resp = await im.body("/group/kick_group", {"groupID": "nope", "kickedUserIDs": ["bob"]})
    assert resp["errMsg"] == "RecordNotFoundError"


async def test_panic_on_ownerless_group(im):
    """7.9: the caller's own request: no lookup; another user's: owners[0] of an empty list."""
    assert await im.ok("/group/get_specified_user_group_request_info", {"groupID": "nope", "userID": "bob"}, "bob") == \
        {"total": 0, "groupRequests": None}
    resp = await im.body("/group/get_specified_user_group_request_info", {"groupID": "nope", "userID": "bob"})
    if im.version == P16:
        assert resp["errCode"] == 2 and resp["errDlt"] == ""
        assert resp["errMsg"].startswith("Error: 500 panic error runtime error: index out of range [0] with length 0")
    else:   # the RPC process crashes (INFERRED): a plain 500
        assert resp == {"errCode": 500, "errMsg": "ServerInternalError", "errDlt": ""}


# --- 2: auth ------------------------------------------------------------------------------------
async def test_admin_tokens_never_checked_against_the_store(client, im):
    claims = decode(im.admin, im.secret)
    never_issued = jwt.encode(claims | {"iat": claims["iat"] - 7}, im.secret, algorithm="HS256")
    assert (await im.body("/user/get_users_info", {"userIDs": ["bob"]}, None))["errCode"] == 0
    _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=never_issued)
    assert body["errCode"] == 0       # 2.1
    await client.post("/_emulator/clock", json={"advance_s": 2})
    newer = await get_admin_token(client, secret=im.secret)
    await im.ok("/auth/force_logout", {"userID": "imAdmin", "platformID": 10})
    await client.post("/_emulator/clock", json={"advance_s": 301})
    for tok in (im.admin, newer):     # 2.2: re-issue and force_logout do not touch admin tokens
        _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=tok)
        assert body["errCode"] == 0


async def test_token_error_texts(client, im):
    """2.3. A token no tenant signed gets the scenario's common profile (the default when mixed)."""
    claims = decode(im.admin, im.secret)
    wrong = jwt.encode(claims, "another-secret-of-some-length-xxxxxxxx", algorithm="HS256")
    for tok, code, msg in (("abc", 1503, "TokenMalformedError"), (wrong, 1505, "signature is invalid")):
        _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=tok)
        text = f"jwt parse error, token={tok}"
        assert body == {"errCode": code, "errMsg": msg, "errDlt": f"{code} {msg} {text}"}
        resp = await client.post("/_emulator/scenario", json={"openim": {"tenants": [
            {"secret": im.secret, "settings": {"version": im.version}}]}})
        assert resp.status == 200
        _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=tok)
        assert body == {"errCode": code, "errMsg": msg, "errDlt": im.pick(f"{code} {msg} {text}", text)}
        await client.post("/_emulator/scenario", data=SCENARIO.read_text(), headers={"Content-Type": "application/yaml"})
    im.admin = await get_admin_token(client, secret=im.secret)
    bob = await im.token("bob")
    await client.post("/_emulator/clock", json={"advance_s": 91 * 86400})
    _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=bob)
    text = f"jwt parse error, token={bob}"
    assert body["errDlt"] == im.pick(f"1501 TokenExpiredError {text}", text)


async def test_store_errors_are_wrapped(client, im):
    first = await im.token("bob")
    await get_user_token(client, im.admin, "bob")
    _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=first)
    assert body == {"errCode": 1506, "errMsg": "TokenKickedError", "errDlt": "TokenKickedError"}
    forged = jwt.encode({"UserID": "bob", "PlatformID": 3, "exp": 2**40}, im.secret, algorithm="HS256")
    _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["bob"]}, token=forged)
    assert body == {"errCode": 1507, "errMsg": "TokenNotExistError", "errDlt": "TokenNotExistError"}


# --- 3: users -----------------------------------------------------------------------------------
async def test_im_admin_level_and_update_user_info_ex(im):
    data = await im.ok("/user/get_users_info", {"userIDs": ["imAdmin"]})
    assert data["usersInfo"][0]["appMangerLevel"] == 3 and data["usersInfo"][0]["nickname"] == "imAdmin"
    assert await im.err("/user/update_user_info_ex", {"userInfo": {"userID": ""}}) == \
        im.pick((1001, "userID is empty"), (1004, "mongo find one"))
    assert await im.err("/user/update_user_info_ex", {"userInfo": {"userID": ""}}, "bob") == \
        im.pick((1001, "userID is empty"), (1002, "ownerUserID, =MISSING"))
    assert await im.err("/user/update_user_info_ex", {}) == im.pick((1001, "userInfo is empty"), (500, ""))


# --- 5: invite ----------------------------------------------------------------------------------
async def test_invite_check_order_and_recorded_inviter(im):
    gid = await im.group()
    assert await im.err("/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["jared"]}, "jared") == \
        (1004, im.mongo)                                                       # 5.1
    assert await im.err("/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["ghost"]}, "jared") == \
        (1004, "user not found")                                               # 5.2
    await im.ok("/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["jared"]})
    data = await im.ok("/group/get_group_members_info", {"groupID": gid, "userIDs": ["jared"]})
    m = data["members"][0]
    assert (m["inviterUserID"], m["operatorUserID"]) == im.pick(("imAdmin", "imAdmin"), ("", ""))   # 5.3


async def test_invite_existing_member(im):
    gid = await im.group(members=())
    before = await im.ok("/group/get_incremental_group_members", {"groupID": gid})
    resp = await im.body("/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["jared", "bob", "leckie"]})
    text = ('bulk write exception: write errors: [E11000 duplicate key error collection: '
            'openim_v3.group_member index: group_id_1_user_id_1 dup key: '
            f'{{ group_id: "{gid}", user_id: "leckie" }}] mongo insert many')
    assert resp == {"errCode": 500, **im.pick({"errMsg": text, "errDlt": text},
                                              {"errMsg": "mongo insert many", "errDlt": "mongo insert many"})}
    # an ordered insert without a transaction: the invitees before the duplicate stay (5.4)
    assert sorted(await im.member_ids(gid)) == ["bob", "jared", "leckie", "tommy"]
    # ... without a version-log bump: an up-to-date incremental sync does not see them
    data = await im.ok("/group/get_incremental_group_members",
                       {"groupID": gid, "versionID": before["versionID"], "version": before["version"]})
    assert data["full"] is False and data["insert"] is None and data["version"] == before["version"]
    assert (await im.body("/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["leckie"]},
                          "leckie"))["errCode"] == 500    # inviting oneself


async def test_invite_chunks_of_fifty(client, runtime, im):
    users = [{"userID": f"u{i:03}", "nickname": "n"} for i in range(60)]
    await im.ok("/user/user_register", {"users": users})
    gid = await im.group(members=())
    before = await im.ok("/group/get_incremental_group_members", {"groupID": gid})
    ids = [u["userID"] for u in users]
    resp = await im.body("/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ids + ["leckie"]})
    assert resp["errCode"] == 500
    data = await im.ok("/group/get_incremental_group_members",
                       {"groupID": gid, "versionID": before["versionID"], "version": before["version"]})
    logged = {m["userID"] for m in data["insert"] or []}
    # patch.16 committed its first chunk of 50 (with its version bump); v3.8.3's single batch none
    assert len(logged & set(ids)) == im.pick(50, 0)
    assert len(await im.member_ids(gid)) == 62


# --- 0.4: quirk_join_max_seq_invalid ------------------------------------------------------------
async def test_max_seq_quirk(runtime, im):
    gid = await im.group(members=(), needVerification=2)
    await im.set_settings(runtime, quirk_join_max_seq_invalid=True)
    bad = (1001, "maxSeq is invalid")
    assert await im.err("/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["bob"]}) == bad
    assert await im.err("/group/join_group", {"groupID": gid, "joinSource": 3, "inviterUserID": "jared"}, "jared") == bad
    gid2 = await im.group(members=(), needVerification=0)
    await im.ok("/group/join_group", {"groupID": gid2, "joinSource": 3, "inviterUserID": "jared"}, "jared")
    assert await im.err("/group/group_application_response",
                        {"groupID": gid2, "fromUserID": "jared", "handleResult": 1}) == bad
    assert sorted(await im.member_ids(gid)) == ["bob", "jared", "leckie", "tommy"]
    assert "jared" in await im.member_ids(gid2)
    await im.set_settings(runtime, quirk_join_max_seq_invalid=False)
    await im.ok("/group/invite_user_to_group", {"groupID": gid2, "invitedUserIDs": ["bob"]})


async def test_max_seq_quirk_off_by_default(runtime, im):
    t = openim_tenant(runtime, im.secret)
    assert t.setting("quirk_join_max_seq_invalid") is False


# --- 7: join requests ---------------------------------------------------------------------------
async def _request(im, gid, uid, msg="hi"):
    await im.ok("/group/join_group", {"groupID": gid, "joinSource": 3, "inviterUserID": uid, "reqMessage": msg}, uid)


async def test_answered_request_loses_handle_fields(im):
    gid = await im.group(needVerification=0)
    await _request(im, gid, "jared")
    await im.ok("/group/group_application_response",
                {"groupID": gid, "fromUserID": "jared", "handleResult": -1, "handledMsg": "no"}, "leckie")
    data = await im.ok("/group/get_user_req_group_applicationList", {"userID": "jared", "pagination": PAGE})
    r = data["groupRequests"][0]
    assert (r["handleResult"], r["handleMsg"], r["handleUserID"], r["handleTime"]) == (-1, "", "", 0)
    data = await im.ok("/group/get_specified_user_group_request_info", {"groupID": gid, "userID": "jared"})
    assert data["groupRequests"][0]["handleMsg"] == ""


async def test_application_lists_filters_order_and_checks(client, im):
    g1 = await im.group(needVerification=0)
    g2 = await im.group(needVerification=0)
    for gid, uid in ((g2, "jared"), (g1, "jared"), (g2, "imAdmin")):
        await client.post("/_emulator/clock", json={"advance_s": 1})
        if uid == "imAdmin":
            await im.ok("/group/join_group", {"groupID": gid, "joinSource": 3, "inviterUserID": uid})
        else:
            await _request(im, gid, uid)
    await im.ok("/group/group_application_response", {"groupID": g1, "fromUserID": "jared", "handleResult": 1})
    body = {"fromUserID": "leckie", "pagination": PAGE}
    data = await im.ok("/group/get_recv_group_applicationList", body, "leckie")
    got = [(r["groupInfo"]["groupID"], r["userInfo"]["userID"]) for r in data["groupRequests"]]
    newest_first = [(g2, "imAdmin"), (g1, "jared"), (g2, "jared")]
    assert got == im.pick(newest_first, sorted(newest_first))                  # 7.7
    data = await im.ok("/group/get_recv_group_applicationList", body | {"groupIDs": [g1], "handleResults": [1]}, "leckie")
    assert data["total"] == im.pick(1, 3)                                       # 7.5 filters
    data = await im.ok("/group/get_recv_group_applicationList", body | {"handleResults": [0]}, "leckie")
    assert data["total"] == im.pick(2, 3)
    assert await im.err("/group/get_recv_group_applicationList", body | {"groupIDs": [g2]}, "jared") == \
        im.pick((1004, im.mongo), (0, ""))
    assert await im.err("/group/get_recv_group_applicationList", body | {"groupIDs": [g1]}, "bob") == \
        im.pick((1002, "no group owner or admin"), (0, ""))
    # patch.16: an unknown groupID is 1201 once the page holds a request; v3.8.3 ignores groupIDs
    assert await im.err("/group/get_recv_group_applicationList", body | {"groupIDs": [g1, "nope"]}) == \
        im.pick((1201, "nope"), (0, ""))
    data = await im.ok("/group/get_user_req_group_applicationList", {"userID": "jared", "pagination": PAGE})
    got = [r["groupInfo"]["groupID"] for r in data["groupRequests"]]
    assert got == im.pick([g1, g2], [g2, g1])                                   # 7.7 insertion order
    data = await im.ok("/group/get_user_req_group_applicationList",
                       {"userID": "jared", "pagination": PAGE, "groupIDs": [g2]})
    assert data["total"] == im.pick(1, 2)                                       # 7.6 filters
    data = await im.ok("/group/get_user_req_group_applicationList",
                       {"userID": "jared", "pagination": PAGE, "handleResults": [1]})
    assert data["total"] == im.pick(1, 2)
    assert await im.err("/group/get_user_req_group_applicationList", {"userID": "ghost", "pagination": PAGE}) == \
        (1004, "record not found")


async def test_reapplying_moves_to_the_end(client, im):
    g1, g2 = await im.group(needVerification=0), await im.group(needVerification=0)
    for gid in (g1, g2, g1):
        await client.post("/_emulator/clock", json={"advance_s": 1})
        await _request(im, gid, "jared")
    data = await im.ok("/group/get_user_req_group_applicationList", {"userID": "jared", "pagination": PAGE})
    # patch.16: newest first; v3.8.3: insertion order, a re-applied request inserted anew (7.7)
    assert [r["groupInfo"]["groupID"] for r in data["groupRequests"]] == im.pick([g1, g2], [g2, g1])


async def test_unhandled_count(client, im):
    gid = await im.group(needVerification=0)
    await client.post("/_emulator/clock", json={"freeze_at": 1_800_000_000})
    await _request(im, gid, "jared")
    status, body = await im.raw("/group/get_group_application_unhandled_count", {"userID": "leckie"}, "leckie")
    if im.version == V383:       # 7.8 / 15: no such route
        assert status == 404 and body["errCode"] == 404
        return
    assert body["data"] == {"count": 1}
    at = 1_800_000_000_000
    data = await im.ok("/group/get_group_application_unhandled_count", {"userID": "leckie", "time": at}, "leckie")
    assert data == {"count": 0}          # strictly after ``time``
    data = await im.ok("/group/get_group_application_unhandled_count", {"userID": "leckie", "time": at - 1}, "leckie")
    assert data == {"count": 1}
    assert await im.err("/group/get_group_application_unhandled_count", {"userID": "leckie"}, "bob") == \
        (1002, "ownerUserID, leckie=MISSING")
    assert await im.ok("/group/get_group_application_unhandled_count", {"userID": ""}) == {"count": 0}   # no Check


# --- 8: dismiss, transfer -----------------------------------------------------------------------
async def test_dismiss_without_owner(im):
    assert await im.err("/group/dismiss_group", {"groupID": "nope"}) == (1004, "group nope owner not found")
    gid = await im.group()
    await im.ok("/group/dismiss_group", {"groupID": gid, "deleteMember": True})
    assert await im.err("/group/dismiss_group", {"groupID": gid}) == (1004, f"group {gid} owner not found")


# --- 10: set_group_info_ex trimming -------------------------------------------------------------
async def test_group_name_and_notification_spaces(im):
    gid = await im.group()
    await im.ok("/group/set_group_info_ex", {"groupID": gid, "groupName": "   ", "introduction": "intro"})
    data = await im.ok("/group/get_groups_info", {"groupIDs": [gid]})
    info = data["groupInfos"][0]
    assert (info["groupName"], info["introduction"]) == im.pick(("g", ""), ("   ", "intro"))
    await im.ok("/group/set_group_info_ex", {"groupID": gid, "notification": "  hi  "})
    data = await im.ok("/group/get_groups_info", {"groupIDs": [gid]})
    assert data["groupInfos"][0]["notification"] == im.pick("hi", "  hi  ")
    assert data["groupInfos"][0]["notificationUserID"] == "imAdmin"
    await im.ok("/group/set_group_info_ex", {"groupID": gid, "groupName": " x "})
    data = await im.ok("/group/get_groups_info", {"groupIDs": [gid]})
    assert data["groupInfos"][0]["groupName"] == " x "       # a non-blank name is stored untrimmed


# --- 12: member reads ---------------------------------------------------------------------------
async def test_member_reads_by_a_non_member(im):
    gid = await im.group()
    denied = (1002, "op user not in group")
    r = await im.body("/group/get_group_member_list", {"groupID": gid, "pagination": PAGE}, "jared")
    assert (r["errCode"], r["errDlt"]) == im.pick(denied, (0, ""))                       # 12.1
    if im.version == V383:
        assert r["data"]["total"] == 3
        data = await im.ok("/group/get_group_member_list", {"groupID": "nope", "pagination": PAGE}, "jared")
        assert data == {"total": 0, "members": None}
    r = await im.body("/group/get_group_members_info", {"groupID": gid, "userIDs": ["bob"]}, "jared")
    assert (r["errCode"], r["errDlt"]) == im.pick(denied, (0, ""))                       # 12.3
    r = await im.body("/group/get_group_member_user_id", {"groupID": gid}, "jared")
    assert (r["errCode"], r["errDlt"]) == im.pick((1002, "opUser no permission"), (0, ""))   # 12.4
    if im.version == V383:
        assert sorted(r["data"]["userIDs"]) == ["bob", "leckie", "tommy"]
    r = await im.body("/group/get_group_abstract_info", {"groupIDs": [gid]}, "jared")
    assert (r["errCode"], r["errDlt"]) == im.pick(denied, (0, ""))                       # 12.5
    assert await im.err("/group/get_group_abstract_info", {"groupIDs": ["nope"]}, "jared") == \
        im.pick(denied, (1201, "not found group nope"))
    assert await im.err("/group/get_group_abstract_info", {"groupIDs": [gid, gid]}, "bob") == \
        (1001, "groupIDs duplicate")


async def test_member_list_keyword(im):
    gid = await im.group()
    await im.ok("/group/set_group_member_info", {"members": [{"groupID": gid, "userID": "bob", "nickname": "Bo"}]})

    async def search(keyword):
        data = await im.ok("/group/get_group_member_list", {"groupID": gid, "pagination": PAGE, "keyword": keyword})
        return data["total"], [m["userID"] for m in data["members"] or []]
    if im.version == P16:      # 12.2: arguments swapped, practically never a match
        for kw in ("bob", "Bo", "Tom", "To"):
            assert await search(kw) == (0, [])
    else:                      # exact userID or nickname (the profile's when the member has none)
        assert await search("bob") == (1, ["bob"])
        assert await search("Bo") == (1, ["bob"])
        assert await search("Bobby") == (0, [])
        assert await search("Tom") == (1, ["tommy"])
        assert await search("To") == (0, [])


async def test_member_list_keyword_swap_off_in_patch16(runtime, im):
    await im.set_settings(runtime, quirk_member_list_keyword_swap=False)
    gid = await im.group()
    data = await im.ok("/group/get_group_member_list", {"groupID": gid, "pagination": PAGE, "keyword": "Tom"})
    assert [m["userID"] for m in data["members"]] == ["tommy"]


# --- 13: sync routes ----------------------------------------------------------------------------
async def test_full_id_routes(im):
    from emulator.providers.openim.models_sync import id_hash
    gid = await im.group()
    data = await im.ok("/group/get_full_group_member_user_ids", {"groupID": gid})
    ids = data["userIDs"]
    assert data["version"] == im.pick(1, id_hash(ids)) and data["equal"] is False
    assert len(data["versionID"]) == 24
    await im.ok("/group/kick_group", {"groupID": gid, "kickedUserIDs": ["bob"]})
    data = await im.ok("/group/get_full_group_member_user_ids", {"groupID": gid, "idHash": id_hash(["leckie", "tommy"])})
    assert data["equal"] is True and data["userIDs"] is None
    assert data["version"] == im.pick(2, id_hash(["leckie", "tommy"]))
    assert await im.err("/group/get_full_group_member_user_ids", {"groupID": gid}, "jared") == \
        im.pick((1002, "op user not in group"), (0, ""))
    data = await im.ok("/group/get_full_join_group_ids", {"userID": "tommy"}, "tommy")
    assert data["groupIDs"] == [gid] and data["version"] == im.pick(1, id_hash([gid]))
    assert await im.err("/group/get_full_join_group_ids", {"userID": "tommy"}, "jared") == \
        im.pick((1002, "ownerUserID, tommy=MISSING"), (0, ""))


async def test_incremental_members_by_a_non_member(im):
    gid = await im.group()
    r = await im.body("/group/get_incremental_group_members", {"groupID": gid}, "jared")
    assert (r["errCode"], r["errDlt"]) == im.pick((1002, "op user not in group"), (0, ""))
    if im.version == V383:
        assert r["data"]["full"] is True and r["data"]["group"]["groupID"] == gid
    assert await im.err("/group/get_incremental_group_members", {"groupID": "nope"}, "jared") == \
        im.pick((1002, "op user not in group"), (1004, im.mongo))


async def test_incremental_batch(im):
    gid = await im.group()
    dead = await im.group()
    await im.ok("/group/dismiss_group", {"groupID": dead})
    batch = "/group/get_incremental_group_members_batch"
    r = await im.body(batch, {"reqList": [{"groupID": gid}]}, "jared")
    assert (r["errCode"], r["errDlt"]) == im.pick((1002, "op user not in group"), (0, ""))
    data = await im.ok(batch, {"reqList": [{"groupID": dead}, {"groupID": gid}]})
    assert list(data["respList"]) == [gid]
    for body in ({"reqList": []}, {"reqList": [{"groupID": dead}]}):
        r = await im.body(batch, body)
        if im.version == P16:
            assert r["errCode"] == 0 and r["data"] == {"respList": None}
        else:
            assert r == {"errCode": 500, "errMsg": "ServerInternalError", "errDlt": "targetKeys is empty"}
    assert await im.err(batch, {"reqList": [{"groupID": "nope"}]}) == \
        im.pick((1004, im.mongo), (1004, "group nope owner not found"))


# --- 14: statistics -----------------------------------------------------------------------------
async def test_statistics_by_a_non_admin(im):
    await im.group()
    r = await im.body("/statistics/group/create", {"start": 1, "end": 2**50}, "bob")
    assert (r["errCode"], r["errDlt"]) == im.pick((1002, "user bob is not admin userID"), (0, ""))
    if im.version == V383:
        assert r["data"]["total"] == 1
    assert (await im.err("/statistics/group/create", {"start": 9, "end": 2}, "bob"))[0] == 1001
