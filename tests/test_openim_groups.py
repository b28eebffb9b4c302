"""OpenIM group lifecycle: create, info, set, transfer, dismiss, mute, lists, statistics."""

from __future__ import annotations

import re

import pytest

from tests.openim_support import create_group, openim_call, openim_settings
from tests.openim_support import openim_err as err


MONGO = "mongo: no documents in result mongo find one"   # patch.16 (versions fact sheet 1.3)


@pytest.fixture
def settings():
    return openim_settings()


async def test_create_group_reply_and_quirks(client, openim_admin_token):
    _, body = await openim_call(client, "/group/create_group", {
        "ownerUserID": "leckie", "memberUserIDs": ["bob"], "adminUserIDs": ["tommy"],
        "groupInfo": {"groupType": 2, "groupName": "n", "creatorUserID": "zz"}}, token=openim_admin_token)
    info = body["data"]["groupInfo"]
    assert re.fullmatch(r"\d{1,10}", info["groupID"])
    assert info["memberCount"] == 4 and info["creatorUserID"] == "zz" and info["ownerUserID"] == "leckie"
    _, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": [info["groupID"], "nope"]},
                                token=openim_admin_token)
    assert [g["memberCount"] for g in body["data"]["groupInfos"]] == [3]


async def test_create_group_checks(client, openim_admin_token, openim_user_token):
    t = openim_admin_token
    cases = [({"ownerUserID": "bob"}, (1001, "groupInfo is empty")),
             ({"ownerUserID": "bob", "groupInfo": {"groupType": 5}}, (1001, "GroupType is invalid")),
             ({"groupInfo": {"groupType": 2}}, (1001, "ownerUserID is empty")),
             ({"ownerUserID": "bob", "memberUserIDs": [str(i) for i in range(1001)], "groupInfo": {"groupType": 2}},
              (1001, "too many MemberUserIDs, need to be less than 1000")),
             ({"ownerUserID": "bob", "groupInfo": {"groupType": 0}}, (1001, "group type only supports 2")),
             ({"ownerUserID": "bob", "memberUserIDs": ["bob"], "groupInfo": {"groupType": 2}}, (1001, "group member repeated")),
             ({"ownerUserID": "bob", "memberUserIDs": ["ghost"], "groupInfo": {"groupType": 2}}, (1101, "user not found"))]
    for req, expected in cases:
        assert await err(client, "/group/create_group", req, t) == expected
    bob = await openim_user_token("bob")
    assert await err(client, "/group/create_group", {"ownerUserID": "leckie", "groupInfo": {"groupType": 2}}, bob) == \
        (1002, "ownerUserID, leckie=MISSING")
    await create_group(client, t, groupID="fixed")
    assert await err(client, "/group/create_group", {"ownerUserID": "bob", "groupInfo": {"groupType": 2, "groupID": "fixed"}}, t) == \
        (1202, "group id existed fixed")


async def test_set_group_info_ex(client, openim_admin_token, openim_user_token):
    gid = await create_group(client, openim_admin_token)
    bob, jared = await openim_user_token("bob"), await openim_user_token("jared")
    assert await err(client, "/group/set_group_info_ex", {"groupID": gid, "groupName": "x"}, bob) == (1002, "no group owner or admin")
    assert await err(client, "/group/set_group_info_ex", {"groupID": gid, "groupName": "x"}, jared) == (1004, MONGO)
    assert await err(client, "/group/set_group_info_ex", {"groupID": "nope"}, openim_admin_token) == (1004, MONGO)
    leckie = await openim_user_token("leckie")
    assert await err(client, "/group/set_group_info_ex", {"groupID": gid, "groupName": "new", "notification": " hi ",
                                                          "needVerification": 2}, leckie) == (0, "")
    assert await err(client, "/group/set_group_info_ex", {"groupID": gid, "groupName": "  ", "ex": "e"}, leckie) == (0, "")
    _, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": [gid]}, token=leckie)
    g = body["data"]["groupInfos"][0]
    assert (g["groupName"], g["notification"], g["needVerification"], g["ex"], g["notificationUserID"]) == \
        ("new", "hi", 2, "", "leckie")
    assert (await err(client, "/group/set_group_info_ex", {"groupID": gid, "needVerification": "1"}, leckie))[0] == 1001


async def test_dismiss_and_1204(client, openim_admin_token, openim_user_token):
    gid = await create_group(client, openim_admin_token)
    bob = await openim_user_token("bob")
    assert await err(client, "/group/dismiss_group", {"groupID": gid}, bob) == (1002, "not group owner")
    assert await err(client, "/group/dismiss_group", {"groupID": gid}, openim_admin_token) == (0, "")
    assert await err(client, "/group/dismiss_group", {"groupID": gid}, openim_admin_token) == (1204, "group status is dismissed")
    assert await err(client, "/group/set_group_info_ex", {"groupID": gid, "ex": "x"}, openim_admin_token) == (1204, "DismissedAlreadyError")
    assert await err(client, "/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["jared"]}, openim_admin_token) == \
        (1204, "group dismissed checking group status found it dismissed")
    assert await err(client, "/group/transfer_group", {"groupID": gid, "oldOwnerUserID": "leckie", "newOwnerUserID": "bob"},
                     openim_admin_token) == (1204, "DismissedAlreadyError")
    _, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": [gid]}, token=bob)
    assert body["data"]["groupInfos"][0]["status"] == 2
    assert await err(client, "/group/dismiss_group", {"groupID": gid, "deleteMember": True}, openim_admin_token) == (0, "")
    _, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": [gid]}, token=bob)
    assert body["data"]["groupInfos"][0]["memberCount"] == 0


async def test_transfer_group(client, openim_admin_token, openim_user_token):
    gid = await create_group(client, openim_admin_token)
    leckie, bob = await openim_user_token("leckie"), await openim_user_token("bob")
    req = {"groupID": gid, "oldOwnerUserID": "leckie", "newOwnerUserID": "leckie"}
    assert await err(client, "/group/transfer_group", req, leckie) == (1001, "OldOwnerUserID == NewOwnerUserID")
    assert await err(client, "/group/transfer_group", req | {"newOwnerUserID": "jared"}, leckie) == (1001, "user not in group jared")
    assert await err(client, "/group/transfer_group", req | {"newOwnerUserID": "tommy"}, bob) == (1002, "no permission transfer group owner")
    assert await err(client, "/group/transfer_group", req | {"groupID": "nope", "newOwnerUserID": "tommy"}, leckie) == (1004, MONGO)
    assert await err(client, "/group/transfer_group", req | {"newOwnerUserID": "tommy"}, leckie) == (0, "")
    _, body = await openim_call(client, "/group/get_group_members_info", {"groupID": gid, "userIDs": ["leckie", "tommy"]}, token=bob)
    roles = {m["userID"]: m["roleLevel"] for m in body["data"]["members"]}
    assert roles == {"leckie": 60, "tommy": 100}


async def test_mute_group(client, openim_admin_token, openim_user_token):
    gid = await create_group(client, openim_admin_token)
    bob = await openim_user_token("bob")
    assert await err(client, "/group/mute_group", {"groupID": gid}, bob) == (1002, "no group owner or admin")
    assert await err(client, "/group/mute_group", {"groupID": "nope"}, openim_admin_token) == (1004, MONGO)
    tommy = await openim_user_token("tommy")
    assert await err(client, "/group/mute_group", {"groupID": gid}, tommy) == (0, "")
    _, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": [gid]}, token=bob)
    assert body["data"]["groupInfos"][0]["status"] == 3
    assert await err(client, "/group/cancel_mute_group", {"groupID": gid}, tommy) == (0, "")
    _, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": [gid]}, token=bob)
    assert body["data"]["groupInfos"][0]["status"] == 0


async def test_joined_group_list_order_and_paging(client, openim_admin_token, openim_user_token):
    g_member = await create_group(client, openim_admin_token, owner="leckie", members=("bob",), admins=())
    g_admin = await create_group(client, openim_admin_token, owner="leckie", members=(), admins=("bob",))
    g_owner = await create_group(client, openim_admin_token, owner="bob", members=(), admins=())
    bob = await openim_user_token("bob")
    _, body = await openim_call(client, "/group/get_joined_group_list",
                                {"fromUserID": "bob", "pagination": {"pageNumber": 1, "showNumber": 10}}, token=bob)
    assert [g["groupID"] for g in body["data"]["groups"]] == [g_owner, g_admin, g_member]
    _, body = await openim_call(client, "/group/get_joined_group_list",
                                {"fromUserID": "bob", "pagination": {"pageNumber": 2, "showNumber": 2}}, token=bob)
    assert body["data"]["total"] == 3 and len(body["data"]["groups"]) == 1
    assert await err(client, "/group/get_joined_group_list", {"fromUserID": "bob"}, bob) == (1001, "pagination is empty")
    assert await err(client, "/group/get_joined_group_list", {"fromUserID": "bob", "pagination": {"pageNumber": 0}}, bob) == \
        (1001, "pageNumber is invalid")
    assert await err(client, "/group/get_joined_group_list", {"fromUserID": "leckie", "pagination": {"pageNumber": 1}}, bob) == \
        (1002, "ownerUserID, leckie=MISSING")
    _, body = await openim_call(client, "/group/get_joined_group_list",
                                {"fromUserID": "jared", "pagination": {"pageNumber": 1, "showNumber": 10}}, token=openim_admin_token)
    assert body["data"] == {"total": 0, "groups": None}


async def test_get_groups_and_statistics(client, openim_admin_token, openim_user_token):
    await create_group(client, openim_admin_token, groupName="alpha")
    newest = await create_group(client, openim_admin_token, groupName="alphabet")
    _, body = await openim_call(client, "/group/get_groups",
                                {"groupName": "alpha", "pagination": {"pageNumber": 1, "showNumber": 1}}, token=openim_admin_token)
    assert body["data"]["total"] == 2 and body["data"]["groups"][0]["groupInfo"]["groupID"] == newest
    assert body["data"]["groups"][0]["groupOwnerUserID"] == "leckie"
    _, body = await openim_call(client, "/statistics/group/create", {"start": 1, "end": 2**50}, token=openim_admin_token)
    assert body["data"]["total"] == 2 and body["data"]["before"] == 0 and sum(body["data"]["count"].values()) == 2
    bob = await openim_user_token("bob")
    assert await err(client, "/statistics/group/create", {"start": 1, "end": 2}, bob) == (1002, "user bob is not admin userID")
    assert await err(client, "/statistics/group/create", {"start": 5, "end": 1}, openim_admin_token) == \
        (1001, "start > end: %d > %d, 5=1")


async def test_seeded_groups_from_a_scenario(aiohttp_client, tmp_path):
    """Groups declared in a scenario exist with their members and roles; bad seeds name a path."""
    from emulator.app import create_app
    from emulator.core.errors import ScenarioError
    from emulator.settings import Settings
    from tests.openim_support import get_admin_token, openim_call

    scenario = tmp_path / "seeded.yaml"
    scenario.write_text(
        "openim:\n  tenants:\n    - secret: openIM123\n      users: [{userID: leckie}, {userID: bob}]\n"
        "      groups:\n        - {groupID: '900', groupName: seeded, ownerUserID: leckie,"
        " memberUserIDs: [bob]}\n")
    client = await aiohttp_client(create_app(Settings(port=0, providers=("openim",), scenario=scenario)))
    token = await get_admin_token(client)
    status, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": ["900"]}, token=token)
    info = body["data"]["groupInfos"][0]
    assert (info["groupName"], info["ownerUserID"], info["memberCount"]) == ("seeded", "leckie", 2)

    scenario.write_text(scenario.read_text().replace("memberUserIDs: [bob]", "memberUserIDs: [nobody]"))
    with pytest.raises(ScenarioError) as exc:
        create_app(Settings(port=0, providers=("openim",), scenario=scenario))
    assert exc.value.errors[0][0] == "openim.tenants[0].groups[0].memberUserIDs[0]"
