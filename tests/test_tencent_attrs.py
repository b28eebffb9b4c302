"""Group attributes: modify / set / clear on group_open_http_svc, get on group_open_attr_http_svc."""

from __future__ import annotations


async def av(tim) -> str:
    res = await tim("create_group", {"Type": "AVChatRoom", "Name": "live"})
    return res["GroupId"]


async def attrs(tim, gid):
    res = await tim("group_open_attr_http_svc/get_group_attr", {"GroupId": gid})
    assert res["ErrorCode"] == 0, res
    return res["GroupAttrAry"]


async def test_modify_set_clear_get(tim):
    gid = await av(tim)
    assert await attrs(tim, gid) == []
    await tim("modify_group_attr", {"GroupId": gid, "GroupAttr": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]})
    await tim("modify_group_attr", {"GroupId": gid, "GroupAttr": [{"key": "a", "value": "9"}]})
    assert await attrs(tim, gid) == [{"key": "a", "value": "9"}, {"key": "b", "value": "2"}]
    await tim("set_group_attr", {"GroupId": gid, "GroupAttr": [{"key": "c", "value": "3"}]})
    assert await attrs(tim, gid) == [{"key": "c", "value": "3"}]
    assert (await tim("clear_group_attr", {"GroupId": gid}))["ErrorCode"] == 0
    assert await attrs(tim, gid) == []


async def test_attr_limits_10004_and_nothing_applied(tim):
    gid = await av(tim)
    too_many = [{"key": f"k{i}", "value": "v"} for i in range(17)]
    assert (await tim("set_group_attr", {"GroupId": gid, "GroupAttr": too_many}))["ErrorCode"] == 10004
    assert (await tim("modify_group_attr", {"GroupId": gid, "GroupAttr": [{"key": "k", "value": "v" * 4097}]}))["ErrorCode"] == 10004
    assert (await tim("modify_group_attr", {"GroupId": gid, "GroupAttr": [{"key": "k" * 33, "value": "v"}]}))["ErrorCode"] == 10004
    big = [{"key": f"k{i}", "value": "v" * 4000} for i in range(5)]
    assert (await tim("set_group_attr", {"GroupId": gid, "GroupAttr": big}))["ErrorCode"] == 10004
    assert await attrs(tim, gid) == []


async def test_attr_on_missing_group_10010_on_both_get_paths(tim):
    # group_open_http_svc/get_group_attr is the official Java SDK's path for the same API (issue 10)
    assert (await tim("group_open_attr_http_svc/get_group_attr", {"GroupId": "nope"}))["ErrorCode"] == 10010
    assert (await tim("group_open_http_svc/get_group_attr", {"GroupId": "nope"}))["ErrorCode"] == 10010
    assert (await tim("group_open_attr_http_svc/modify_group_attr", {"GroupId": "nope"}))["ErrorCode"] == 10003
