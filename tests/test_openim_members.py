"""OpenIM membership: invite, kick, quit, join/applications, member reads/edits, mute, sync."""

from __future__ import annotations

import pytest

from tests.openim_support import create_group, openim_call, openim_settings
from tests.openim_support import openim_err as err

MONGO = "mongo: no documents in result mongo find one"   # patch.16 (versions fact sheet 1.3)

PAGE = {"pageNumber": 1, "showNumber": 50}


@pytest.fixture
def settings():
    return openim_settings()


async def test_invite_and_kick(client, openim_admin_token, openim_user_token):
    gid = await create_group(client, openim_admin_token)
    bob, tommy = await openim_user_token("bob"), await openim_user_token("tommy")
    a = openim_admin_token
    assert await err(client, "/group/invite_user_to_group", {"groupID": gid}, a) == (1001, "invitedUserIDs is empty")
    assert await err(client, "/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": []}, a) == (1001, "invitedUserIDs is empty")
    assert await err(client, "/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["x", "x"]}, a) == (1001, "userID duplicate")
    assert await err(client, "/group/invite_user_to_group", {"groupID": "nope", "invitedUserIDs": ["jared"]}, a) == (1004, MONGO)
    assert await err(client, "/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["ghost"]}, a) == (1004, "user not found")
    assert (await err(client, "/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["bob"]}, a))[0] == 500
    assert await err(client, "/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["jared"]}, bob) == (0, "")
    assert await err(client, "/group/kick_group", {"groupID": gid, "kickedUserIDs": []}, a) == (1001, "kickUserIDs is empty")
    assert await err(client, "/group/kick_group", {"groupID": gid, "kickedUserIDs": ["bob"]}, bob) == (1001, "opUserID in KickedUserIDs")
    assert await err(client, "/group/kick_group", {"groupID": gid, "kickedUserIDs": ["leckie"]}, a) == (1001, "ownerUID can not Kick")
    assert await err(client, "/group/kick_group", {"groupID": gid, "kickedUserIDs": ["ghost"]}, a) == (1101, "ghost")
    assert await err(client, "/group/kick_group", {"groupID": gid, "kickedUserIDs": ["jared"]}, bob) == (1002, "opUserID no permission")
    assert await err(client, "/group/kick_group", {"groupID": gid, "kickedUserIDs": ["jared"]}, tommy) == (0, "")
    _, body = await openim_call(client, "/group/get_group_member_user_id", {"groupID": gid}, token=bob)
    assert sorted(body["data"]["userIDs"]) == ["bob", "leckie", "tommy"]


async def test_quit_group(client, openim_admin_token, openim_user_token):
    gid = await create_group(client, openim_admin_token)
    bob, leckie = await openim_user_token("bob"), await openim_user_token("leckie")
    assert await err(client, "/group/quit_group", {"groupID": gid}, leckie) == (1002, "group owner can't quit")
    assert await err(client, "/group/quit_group", {"groupID": gid, "userID": "tommy"}, bob) == (1002, "ownerUserID, tommy=MISSING")
    assert await err(client, "/group/quit_group", {"groupID": gid}, bob) == (0, "")
    assert await err(client, "/group/quit_group", {"groupID": gid}, bob) == (1004, MONGO)


async def test_join_and_applications(client, openim_admin_token, openim_user_token):
    gid = await create_group(client, openim_admin_token, needVerification=0)
    jared, leckie, bob = (await openim_user_token("jared"), await openim_user_token("leckie"),
                          await openim_user_token("bob"))
    req = {"groupID": gid, "joinSource": 3, "inviterUserID": "jared", "reqMessage": "hi"}
    assert await err(client, "/group/join_group", req | {"joinSource": 9}, jared) == (1001, "joinSource is invalid")
    assert await err(client, "/group/join_group", req | {"inviterUserID": "ghost"}, jared) == (1004, "record not found")
    assert await err(client, "/group/join_group", req | {"inviterUserID": "bob"}, jared) == (1001, "ArgsError")
    assert await err(client, "/group/join_group", req, jared) == (0, "")
    _, body = await openim_call(client, "/group/get_group_application_unhandled_count", {"userID": "leckie"}, token=leckie)
    assert body["data"] == {"count": 1}
    _, body = await openim_call(client, "/group/get_recv_group_applicationList", {"fromUserID": "leckie", "pagination": PAGE}, token=leckie)
    r = body["data"]["groupRequests"][0]
    assert body["data"]["total"] == 1 and r["userInfo"]["userID"] == "jared" and r["reqMsg"] == "hi" and r["handleResult"] == 0
    _, body = await openim_call(client, "/group/get_user_req_group_applicationList", {"userID": "jared", "pagination": PAGE}, token=jared)
    assert body["data"]["total"] == 1
    resp = {"groupID": gid, "fromUserID": "jared", "handleResult": 1, "handledMsg": "ok"}
    assert await err(client, "/group/group_application_response", resp | {"handleResult": 0}, leckie) == (1001, "HandleResult unknown")
    assert await err(client, "/group/group_application_response", resp, bob) == (1002, "no group owner or admin")
    assert await err(client, "/group/group_application_response", resp | {"fromUserID": "tommy"}, leckie) == (1004, MONGO)
    assert await err(client, "/group/group_application_response", resp, leckie) == (0, "")
    assert await err(client, "/group/group_application_response", resp, leckie) == (1206, "group request already processed")
    _, body = await openim_call(client, "/group/get_group_members_info", {"groupID": gid, "userIDs": ["jared"]}, token=bob)
    assert body["data"]["members"][0]["joinSource"] == 3 and body["data"]["members"][0]["operatorUserID"] == "leckie"
    _, body = await openim_call(client, "/group/get_specified_user_group_request_info", {"groupID": gid, "userID": "jared"}, token=leckie)
    assert body["data"]["total"] == 1 and body["data"]["groupRequests"][0]["handleResult"] == 1
    _, body = await openim_call(client, "/group/get_group_users_req_application_list", {"groupID": gid, "userIDs": ["jared"]}, token=leckie)
    assert body["data"]["total"] == 1 and body["data"]["groupRequests"][0]["userInfo"] is None
    # needVerification 2: direct join; dismissed group: 1204
    g2 = await create_group(client, openim_admin_token, needVerification=2)
    assert await err(client, "/group/join_group", req | {"groupID": g2}, jared) == (0, "")
    await openim_call(client, "/group/dismiss_group", {"groupID": g2}, token=openim_admin_token)
    assert await err(client, "/group/join_group", req | {"groupID": g2}, jared) == (1204, "DismissedAlreadyError")


async def test_member_list_and_info(client, openim_admin_token, openim_user_token):
    await openim_call(client, "/user/update_user_info_ex", {"userInfo": {"userID": "bob", "nickname": "Bobby", "faceURL": "f"}},
                      token=openim_admin_token)
    gid = await create_group(client, openim_admin_token, members=("bob", "jared"))
    bob = await openim_user_token("bob")
    _, body = await openim_call(client, "/group/get_group_member_list", {"groupID": gid, "pagination": PAGE}, token=bob)
    members = body["data"]["members"]
    assert body["data"]["total"] == 4 and [m["roleLevel"] for m in members] == [100, 60, 20, 20]
    bobm = next(m for m in members if m["userID"] == "bob")
    assert (bobm["nickname"], bobm["faceURL"], bobm["appMangerLevel"], bobm["muteEndTime"]) == ("Bobby", "f", 0, 0)
    assert await err(client, "/group/get_group_member_list", {"groupID": gid, "pagination": PAGE, "filter": 6}, bob) == \
        (1001, "filter is invalid")
    other = await create_group(client, openim_admin_token, owner="tommy", members=(), admins=())
    assert await err(client, "/group/get_group_member_list", {"groupID": other, "pagination": PAGE}, bob) == \
        (1002, "op user not in group")
    assert await err(client, "/group/get_group_members_info", {"groupID": gid}, bob) == (1001, "userIDs is empty")


async def test_mute_member_and_set_member_info(client, openim_admin_token, openim_user_token):
    gid = await create_group(client, openim_admin_token, members=("bob", "jared"))
    bob, tommy, leckie = (await openim_user_token("bob"), await openim_user_token("tommy"),
                          await openim_user_token("leckie"))
    assert await err(client, "/group/mute_group_member", {"groupID": gid, "userID": "bob"}, tommy) == (1001, "mutedSeconds is empty")
    assert await err(client, "/group/mute_group_member", {"groupID": gid, "userID": "leckie", "mutedSeconds": 60}, tommy) == \
        (1002, "set group owner mute")
    assert await err(client, "/group/mute_group_member", {"groupID": gid, "userID": "jared", "mutedSeconds": 60}, bob) == \
        (1002, "set group ordinary users mute")
    assert await err(client, "/group/mute_group_member", {"groupID": gid, "userID": "ghost", "mutedSeconds": 60}, tommy) == (1004, MONGO)
    assert await err(client, "/group/mute_group_member", {"groupID": gid, "userID": "bob", "mutedSeconds": 60}, tommy) == (0, "")
    _, body = await openim_call(client, "/group/get_group_members_info", {"groupID": gid, "userIDs": ["bob"]}, token=bob)
    assert body["data"]["members"][0]["muteEndTime"] > 0
    assert await err(client, "/group/cancel_mute_group_member", {"groupID": gid, "userID": "bob"}, tommy) == (0, "")
    sm = "/group/set_group_member_info"
    assert await err(client, sm, {"members": [{"groupID": gid, "userID": "bob", "roleLevel": 100}]}, leckie) == (1002, "cannot set ungroup owner")
    assert await err(client, sm, {"members": [{"groupID": gid, "userID": "bob", "roleLevel": 7}]}, leckie) == (1001, "invalid role level")
    assert await err(client, sm, {"members": [{"groupID": gid, "userID": "jared"}]}, bob) == (1002, "ordinary users can not change other role level")
    assert await err(client, sm, {"members": [{"groupID": gid, "userID": "leckie", "roleLevel": 60}]}, leckie) == \
        (1001, "group owner can not change own role level")
    assert await err(client, sm, {"members": [{"groupID": gid, "userID": "bob", "roleLevel": 60}]}, bob) == \
        (1002, "can not improve role level by self")
    assert await err(client, sm, {"members": [{"groupID": gid, "userID": "ghost"}]}, leckie) == (1001, "user not in group")
    assert await err(client, sm, {"members": [{"groupID": gid, "userID": "bob", "roleLevel": 60, "nickname": "B"}]}, leckie) == (0, "")
    _, body = await openim_call(client, "/group/get_group_members_info", {"groupID": gid, "userIDs": ["bob"]}, token=bob)
    assert (body["data"]["members"][0]["roleLevel"], body["data"]["members"][0]["nickname"]) == (60, "B")


async def test_incremental_and_full_ids(client, openim_admin_token, openim_user_token):
    gid = await create_group(client, openim_admin_token)
    bob = await openim_user_token("bob")
    _, body = await openim_call(client, "/group/get_incremental_group_members", {"groupID": gid}, token=bob)
    d = body["data"]
    assert d["full"] is True and d["group"]["groupID"] == gid
    vid, ver = d["versionID"], d["version"]
    _, body = await openim_call(client, "/group/get_incremental_group_members", {"groupID": gid, "versionID": vid, "version": ver}, token=bob)
    assert body["data"]["full"] is False and body["data"]["insert"] is None and body["data"]["group"] is None
    await openim_call(client, "/group/invite_user_to_group", {"groupID": gid, "invitedUserIDs": ["jared"]}, token=bob)
    _, body = await openim_call(client, "/group/get_incremental_group_members", {"groupID": gid, "versionID": vid, "version": ver}, token=bob)
    assert body["data"]["version"] == ver + 1 and [m["userID"] for m in body["data"]["insert"]] == ["jared"]
    _, body = await openim_call(client, "/group/get_incremental_join_groups", {"userID": "jared"}, token=openim_admin_token)
    assert body["data"]["full"] is True and body["data"]["version"] >= 1
    _, body = await openim_call(client, "/group/get_full_join_group_ids", {"userID": "jared"}, token=openim_admin_token)
    assert body["data"]["groupIDs"] == [gid] and body["data"]["equal"] is False
    _, body = await openim_call(client, "/group/get_full_group_member_user_ids", {"groupID": gid}, token=bob)
    assert sorted(body["data"]["userIDs"]) == ["bob", "jared", "leckie", "tommy"]
    _, body = await openim_call(client, "/group/get_incremental_group_members_batch",
                                {"userID": "bob", "reqList": [{"groupID": gid}]}, token=bob)
    assert list(body["data"]["respList"]) == [gid]
    _, body = await openim_call(client, "/group/get_group_abstract_info", {"groupIDs": [gid, "nope"]}, token=openim_admin_token)
    assert (body["errCode"], body["errDlt"]) == (1201, "not found group nope")
    _, body = await openim_call(client, "/group/get_group_abstract_info", {"groupIDs": [gid]}, token=bob)
    assert body["data"]["groupAbstractInfos"][0]["groupMemberNumber"] == 4
