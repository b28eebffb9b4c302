"""v4/im_open_login_svc: account_import, multiaccount_import, account_delete, account_check."""

from __future__ import annotations


async def check(tim, *users):
    body = await tim("im_open_login_svc/account_check", {"CheckItem": [{"UserID": u} for u in users]})
    assert body["ErrorCode"] == 0, body
    return {i["UserID"]: i["AccountStatus"] for i in body["ResultItem"]}


async def test_account_import_then_check(tim):
    assert await check(tim, "alice", "leckie") == {"alice": "NotImported", "leckie": "Imported"}
    body = await tim("im_open_login_svc/account_import", {"UserID": "alice", "Nick": "Al", "FaceUrl": "http://x/y.png"})
    assert body == {"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0}
    assert await check(tim, "alice") == {"alice": "Imported"}


async def test_account_import_userid_too_long_70402(tim):
    body = await tim("im_open_login_svc/account_import", {"UserID": "u" * 33})
    assert body["ErrorCode"] == 70402 and "UserID" in body["ErrorInfo"]
    body = await tim("im_open_login_svc/account_import", {})
    assert body["ErrorCode"] == 70402 and "UserID" in body["ErrorInfo"]


async def test_account_of_wrong_type_60015(tim):
    assert (await tim("im_open_login_svc/account_import", {"UserID": 123}))["ErrorCode"] == 60015
    body = await tim("im_open_login_svc/multiaccount_import", {"Accounts": ["a", 5]})
    assert body["ErrorCode"] == 60015
    body = await tim("create_group", {"Type": "Public", "Name": "g", "Owner_Account": 42})
    assert body["ErrorCode"] == 60015


async def test_multiaccount_import_and_batch_limit_70206(tim):
    body = await tim("im_open_login_svc/multiaccount_import", {"Accounts": ["u1", "u2", "leckie"]})
    assert body["ErrorCode"] == 0 and body["FailAccounts"] == []
    assert await check(tim, "u1", "u2") == {"u1": "Imported", "u2": "Imported"}
    many = [f"m{i}" for i in range(101)]
    body = await tim("im_open_login_svc/multiaccount_import", {"Accounts": many})
    assert body["ErrorCode"] == 70206
    assert await check(tim, "m0") == {"m0": "NotImported"}      # nothing half-applied


async def test_account_delete_per_item_and_memberships(tim, runtime):
    gid = (await tim("create_group", {"Type": "Public", "Name": "g", "Owner_Account": "leckie",
                                      "MemberList": [{"Member_Account": "bob"}]}))["GroupId"]
    body = await tim("im_open_login_svc/account_delete",
                     {"DeleteItem": [{"UserID": "bob"}, {"UserID": "ghost"}]})
    assert body["ErrorCode"] == 0
    assert body["ResultItem"] == [{"ResultCode": 0, "ResultInfo": "", "UserID": "bob"},
                                  {"ResultCode": 70107, "ResultInfo": "account not imported", "UserID": "ghost"}]
    assert await check(tim, "bob") == {"bob": "NotImported"}
    info = await tim("get_group_member_info", {"GroupId": gid})
    assert [m["Member_Account"] for m in info["MemberList"]] == ["leckie"]
    # the owner leaves: the group is ownerless, still valid
    await tim("im_open_login_svc/account_delete", {"DeleteItem": [{"UserID": "leckie"}]})
    g = (await tim("get_group_info", {"GroupIdList": [gid]}))["GroupInfo"][0]
    assert g["Owner_Account"] == "" and g["MemberNum"] == 0
    assert runtime.check_invariants()["tencent"] == []


async def test_account_delete_admin_refused(tim):
    body = await tim("im_open_login_svc/account_delete", {"DeleteItem": [{"UserID": "administrator"}]})
    assert body["ErrorCode"] == 70402


async def test_account_check_batch_limit(tim):
    body = await tim("im_open_login_svc/account_check", {"CheckItem": [{"UserID": f"u{i}"} for i in range(101)]})
    assert body["ErrorCode"] == 70206


async def test_unknown_login_command_60009(tim):
    assert (await tim("im_open_login_svc/no_such_command", {}))["ErrorCode"] == 60009
