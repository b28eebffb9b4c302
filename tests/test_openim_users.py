"""OpenIM users: register, info, all IDs, update, account check."""

from __future__ import annotations

import pytest

from tests.openim_support import openim_call, openim_settings


@pytest.fixture
def settings():
    return openim_settings()


async def test_register_and_read(client, openim_admin_token, openim_user_token):
    t = openim_admin_token
    reg = "/user/user_register"
    assert (await openim_call(client, reg, {}, token=t))[1]["errDlt"] == "users are empty"
    assert (await openim_call(client, reg, {"users": [{"userID": "a b", "nickname": "x"}]}, token=t))[1]["errDlt"] == "userID is legal"
    assert (await openim_call(client, reg, {"users": [{"userID": "ab"}]}, token=t))[1]["errDlt"] == "user name is empty"
    assert (await openim_call(client, reg, {"users": [{"userID": "n1", "nickname": "x"}] * 2}, token=t))[1]["errDlt"] == "userID repeated"
    bob = await openim_user_token("bob")
    _, body = await openim_call(client, reg, {"users": [{"userID": "n1", "nickname": "x"}]}, token=bob)
    assert (body["errCode"], body["errDlt"]) == (1002, "user bob is not admin userID")
    _, body = await openim_call(client, reg, {"users": [{"userID": "n1", "nickname": "N", "faceURL": "f"}]}, token=t)
    assert body == {"errCode": 0, "errMsg": "", "errDlt": ""}
    _, body = await openim_call(client, reg, {"users": [{"userID": "n2", "nickname": "x"}, {"userID": "bob", "nickname": "y"}]}, token=t)
    assert (body["errCode"], body["errMsg"], body["errDlt"]) == (1102, "RegisteredAlreadyError", "userID registered already")
    _, body = await openim_call(client, "/user/get_users_info", {"userIDs": ["n1", "n2"]}, token=bob)
    assert [u["userID"] for u in body["data"]["usersInfo"]] == ["n1"]
    assert set(body["data"]["usersInfo"][0]) == {"userID", "nickname", "faceURL", "ex", "createTime", "appMangerLevel", "globalRecvMsgOpt"}
    _, body = await openim_call(client, "/user/get_users_info", {}, token=bob)
    assert (body["errCode"], body["errDlt"]) == (1001, "UserIDs is empty")


async def test_all_uids_update_and_account_check(client, openim_admin_token, openim_user_token):
    bob = await openim_user_token("bob")
    _, body = await openim_call(client, "/user/get_all_users_uid", {"pagination": {"pageNumber": 1, "showNumber": 2}}, token=bob)
    assert body["data"] == {"total": 5, "userIDs": ["leckie", "bob"]}
    _, body = await openim_call(client, "/user/update_user_info_ex", {"userInfo": {"userID": "tommy", "nickname": "T"}}, token=bob)
    assert (body["errCode"], body["errDlt"]) == (1002, "ownerUserID, tommy=MISSING")
    _, body = await openim_call(client, "/user/update_user_info_ex", {"userInfo": {"userID": "bob", "ex": "e"}}, token=bob)
    assert body["errCode"] == 0
    _, body = await openim_call(client, "/user/account_check", {"checkUserIDs": ["bob", "zz"]}, token=openim_admin_token)
    assert body["data"]["results"] == [{"userID": "bob", "accountStatus": 1}, {"userID": "zz", "accountStatus": 0}]
    _, body = await openim_call(client, "/user/account_check", {"checkUserIDs": ["bob"]}, token=bob)
    assert body["errCode"] == 1002
