"""get_group_info's member rows are serialised once and reused (Group.rows): every way a row or
the member list can change must drop them. Each step below reads the group (filling the cache),
changes it one way, and reads it back: the reply must be what a cold read gives, show the change,
and the state check (which rebuilds every cached group's rows) must be clean."""

from __future__ import annotations

import orjson

from tests.tencent_support import set_clock

TEXT = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}]


def _groups(runtime):
    return runtime.providers["tencent"].backend.tenants["1400000000"].groups


async def _info(tim, gid) -> dict:
    res = await tim("get_group_info", {"GroupIdList": [gid]})
    assert res["ErrorCode"] == 0, res
    return res["GroupInfo"][0]


async def _rows(tim, runtime, gid) -> dict:
    """The member rows by account, checked against a cold read (every cache dropped)."""
    warm = await _info(tim, gid)
    for g in _groups(runtime).values():
        g.members_changed()
    cold = await _info(tim, gid)
    assert warm == cold
    assert runtime.check_invariants()["tencent"] == []
    return {m["Member_Account"]: m for m in warm.get("MemberList", [])}


async def ok(tim, path, body) -> dict:
    res = await tim(path, body)
    assert res["ErrorCode"] == 0, (path, res)
    return res


async def test_every_change_reaches_the_cached_rows(tim, runtime, client):
    await set_clock(client, freeze_at=1_700_000_000)
    gid = (await ok(tim, "create_group", {"Type": "Public", "Name": "g", "Owner_Account": "leckie",
                                          "MemberList": [{"Member_Account": "bob"}]}))["GroupId"]
    rows = await _rows(tim, runtime, gid)
    assert list(rows) == ["leckie", "bob"]
    assert _groups(runtime)[gid].rows is not None       # the read cached them

    async def step(path, body):
        await _info(tim, gid)                           # cached before the change
        g = _groups(runtime)[gid]
        assert g.rows is not None or g.muted            # (a group with mutes is never cached)
        await ok(tim, path, body)
        return await _rows(tim, runtime, gid)

    rows = await step("add_group_member", {"GroupId": gid, "MemberList": [{"Member_Account": "tommy"}]})
    assert list(rows) == ["leckie", "bob", "tommy"]
    rows = await step("delete_group_member", {"GroupId": gid, "MemberToDel_Account": ["tommy"]})
    assert list(rows) == ["leckie", "bob"]
    await set_clock(client, advance_s=100)
    rows = await step("import_group_member", {"GroupId": gid, "MemberList": [
        {"Member_Account": "jared", "Role": "Admin", "JoinTime": 1_700_000_050}]})
    assert rows["jared"]["Role"] == "Admin" and rows["jared"]["JoinTime"] == 1_700_000_050
    for field, value in (("Role", "Admin"), ("MsgFlag", "AcceptNotNotify"), ("NameCard", "bobby")):
        rows = await step("modify_group_member_info", {"GroupId": gid, "Member_Account": "bob", field: value})
        assert rows["bob"][field] == value
    rows = await step("modify_group_member_info", {"GroupId": gid, "Member_Account": "bob",
                                                   "AppMemberDefinedData": [{"Key": "k", "Value": "v"}]})
    assert rows["bob"]["AppMemberDefinedData"] == [{"Key": "k", "Value": "v"}]
    rows = await step("modify_group_member_info", {"GroupId": gid, "Member_Account": "bob",
                                                   "AppMemberDefinedData": [{"Key": "k", "Value": ""}]})
    assert "AppMemberDefinedData" not in rows["bob"]
    rows = await step("change_group_owner", {"GroupId": gid, "NewOwner_Account": "bob"})
    assert rows["bob"]["Role"] == "Owner" and rows["leckie"]["Role"] == "Member"
    rows = await step("send_group_msg", {"GroupId": gid, "From_Account": "jared", "Random": 1, "MsgBody": TEXT})
    assert rows["jared"]["MsgSeq"] == 1 and rows["jared"]["LastSendMsgTime"] == 1_700_000_100
    # a mute is not in the cached rows: a muted group's rows are built each time, with MuteUntil
    rows = await step("forbid_send_msg", {"GroupId": gid, "Members_Account": ["leckie"], "MuteTime": 60})
    assert rows["leckie"]["MuteUntil"] == 1_700_000_160
    await set_clock(client, advance_s=120)              # the mute ran out: MuteUntil back to 0
    rows = await _rows(tim, runtime, gid)
    assert rows["leckie"]["MuteUntil"] == 0
    rows = await step("forbid_send_msg", {"GroupId": gid, "Members_Account": ["leckie"], "MuteTime": 0})
    assert rows["leckie"]["MuteUntil"] == 0
    rows = await step("im_open_login_svc/account_delete", {"DeleteItem": [{"UserID": "jared"}]})
    assert "jared" not in rows
    # unread counts are not in the rows; they change nothing there
    before = await _rows(tim, runtime, gid)
    rows = await step("set_unread_msg_num", {"GroupId": gid, "Member_Account": "leckie", "UnreadMsgNum": 0})
    assert rows == before


async def test_a_group_replaced_or_reset_is_read_afresh(tim, runtime, client):
    body = {"Type": "Public", "Name": "g", "GroupId": "same", "Owner_Account": "leckie",
            "MemberList": [{"Member_Account": "bob"}]}
    await ok(tim, "create_group", body)
    assert list(await _rows(tim, runtime, "same")) == ["leckie", "bob"]
    await _info(tim, "same")
    await ok(tim, "destroy_group", {"GroupId": "same"})
    await ok(tim, "create_group", {**body, "MemberList": [{"Member_Account": "tommy"}]})
    assert list(await _rows(tim, runtime, "same")) == ["leckie", "tommy"]
    # a state load builds new groups: their rows come from the loaded members
    await _info(tim, "same")
    state = await (await client.get("/_emulator/state?provider=tencent")).json()
    for g in state["tencent"]["1400000000"]["groups"]:
        if g["GroupId"] == "same":
            g["MemberList"][1]["NameCard"] = "loaded"
    assert (await client.put("/_emulator/state?provider=tencent", data=orjson.dumps(state))).status == 200
    assert (await _rows(tim, runtime, "same"))["tommy"]["NameCard"] == "loaded"
    await client.post("/_emulator/reset?provider=tencent")
    assert (await tim("get_group_info", {"GroupIdList": ["same"]}))["GroupInfo"][0]["ErrorCode"] == 10010


async def test_row_cache_is_bounded(tim, runtime, monkeypatch):
    from emulator.providers.tencent import handlers_common
    monkeypatch.setattr(handlers_common, "ROWS_CACHE_BYTES", 4096)
    gids = []
    for i in range(40):
        gids.append((await ok(tim, "create_group", {"Type": "Public", "Name": f"g{i}", "Owner_Account": "leckie",
                                                    "MemberList": [{"Member_Account": "bob"}]}))["GroupId"])
        await _info(tim, gids[-1])
    app = runtime.providers["tencent"].backend.tenants["1400000000"]
    assert app.rows_cached_bytes <= 4096
    assert 0 < len(app.rows_cached) < 40
    assert _groups(runtime)[gids[0]].rows is None and _groups(runtime)[gids[-1]].rows is not None
    assert runtime.check_invariants()["tencent"] == []
    for gid in gids:
        await ok(tim, "destroy_group", {"GroupId": gid})
    assert app.rows_cached == {} and app.rows_cached_bytes == 0


async def test_stale_rows_fail_the_state_check(tim, runtime):
    gid = (await ok(tim, "create_group", {"Type": "Public", "Name": "g", "Owner_Account": "leckie"}))["GroupId"]
    await _info(tim, gid)
    _groups(runtime)[gid].members["leckie"].NameCard = "changed behind the cache's back"
    assert any("stale" in p for p in runtime.check_invariants()["tencent"])
