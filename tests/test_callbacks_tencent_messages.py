"""Tencent message callbacks (tencent-messages-users-callbacks.md §13.4, §13.5, §13.7): before-send
refuses, drops silently, changes the message; after-send carries the message as delivered;
ForbidCallbackControl; recall and withdraw callbacks."""

from __future__ import annotations

from tests.callback_support import configure, deliveries, settle
from tests.tencent_support import ADMIN, SDKAPPID


def text(t: str) -> list:
    return [{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}]


async def setup(client, receiver, *commands):
    await configure(client, "tencent", SDKAPPID, receiver.url, commands=list(commands))


async def roam(tim, a="leckie", b="tommy") -> list:
    res = await tim("openim/admin_getroammsg", {"Operator_Account": a, "Peer_Account": b, "MaxCnt": 100,
                                                "MinTime": 0, "MaxTime": 4_000_000_000})
    assert res["ErrorCode"] == 0, res
    return res["MsgList"]


async def test_c2c_before_and_after(client, tim, receiver):
    await setup(client, receiver, "C2C.CallbackBeforeSendMsg", "C2C.CallbackAfterSendMsg")
    msg = {"From_Account": "leckie", "To_Account": "tommy", "MsgRandom": 7, "MsgBody": text("hi"),
           "CloudCustomData": "c"}
    receiver.override("C2C.CallbackBeforeSendMsg", MsgBody=text("changed"))
    res = await tim("openim/sendmsg", msg)
    assert res["ErrorCode"] == 0, res
    stored = await roam(tim)
    assert stored[-1]["MsgBody"] == text("changed")
    after = (await settle(client, 1, command="C2C.CallbackAfterSendMsg"))[0]["body"]
    assert after["MsgBody"] == text("changed") and after["MsgKey"] == res["MsgKey"]
    assert (after["SendMsgResult"], after["ErrorInfo"], after["UnreadMsgNum"]) == (0, "send msg succeed", 1)
    before = (await deliveries(client, command="C2C.CallbackBeforeSendMsg"))[0]["body"]
    assert (before["From_Account"], before["To_Account"], before["MsgRandom"], before["MsgBody"],
            before["CloudCustomData"]) == ("leckie", "tommy", 7, text("hi"), "c")

    receiver.refuse("C2C.CallbackBeforeSendMsg", 1)
    assert (await tim("openim/sendmsg", {**msg, "MsgRandom": 8}))["ErrorCode"] == 20006
    receiver.refuse("C2C.CallbackBeforeSendMsg", 120100, "custom")
    res = await tim("openim/sendmsg", {**msg, "MsgRandom": 9})
    assert (res["ErrorCode"], res["ErrorInfo"]) == (120100, "custom")
    receiver.refuse("C2C.CallbackBeforeSendMsg", 2)          # silent drop: success, nothing stored
    assert (await tim("openim/sendmsg", {**msg, "MsgRandom": 10}))["ErrorCode"] == 0
    assert len(await roam(tim)) == 1
    # a refused or dropped message fires no after-callback
    assert len(await settle(client, 1, command="C2C.CallbackAfterSendMsg")) == 1


async def test_forbid_callback_control(client, tim, receiver):
    await setup(client, receiver, "C2C.CallbackBeforeSendMsg", "C2C.CallbackAfterSendMsg")
    receiver.refuse("C2C.CallbackBeforeSendMsg", 1)
    res = await tim("openim/sendmsg", {"From_Account": "leckie", "To_Account": "tommy", "MsgRandom": 1,
                                       "MsgBody": text("x"), "ForbidCallbackControl": [
                                           "ForbidBeforeSendMsgCallback", "ForbidAfterSendMsgCallback"]})
    assert res["ErrorCode"] == 0
    assert receiver.received == [] and len(await roam(tim)) == 1


async def test_group_send_recall_and_c2c_withdraw(client, tim, receiver):
    await setup(client, receiver, "Group.CallbackBeforeSendMsg", "Group.CallbackAfterSendMsg",
                "Group.CallbackAfterRecallMsg", "C2C.CallbackAfterMsgWithDraw")
    res = await tim("create_group", {"Type": "Public", "Name": "g", "Owner_Account": "leckie",
                                     "MemberList": [{"Member_Account": "bob"}]})
    gid = res["GroupId"]
    receiver.override("Group.CallbackBeforeSendMsg", MsgBody=text("clean"))
    res = await tim("send_group_msg", {"GroupId": gid, "From_Account": "bob", "Random": 5, "MsgBody": text("dirty")})
    assert res["ErrorCode"] == 0, res
    after = (await settle(client, 1, command="Group.CallbackAfterSendMsg"))[0]["body"]
    assert (after["GroupId"], after["From_Account"], after["Operator_Account"], after["MsgSeq"]) == (
        gid, "bob", ADMIN, res["MsgSeq"])
    assert after["MsgBody"] == text("clean")
    receiver.refuse("Group.CallbackBeforeSendMsg", 10150, "no")
    res2 = await tim("send_group_msg", {"GroupId": gid, "From_Account": "bob", "Random": 6, "MsgBody": text("x")})
    assert (res2["ErrorCode"], res2["ErrorInfo"]) == (10150, "no")
    rec = await tim("group_msg_recall", {"GroupId": gid, "MsgSeqList": [{"MsgSeq": res["MsgSeq"]}]})
    assert rec["RecallRetList"][0]["RetCode"] == 0
    recall = (await settle(client, 1, command="Group.CallbackAfterRecallMsg"))[0]["body"]
    # MsgId (CN docs, 2025): one id per message, the same in the before, after and recall hooks
    before = (await settle(client, 2, command="Group.CallbackBeforeSendMsg"))[0]["body"]
    assert before["MsgId"] == after["MsgId"] and after["MsgId"].endswith(f"-{after['MsgTime']}-5")
    assert recall["MsgSeqList"] == [{"MsgSeq": res["MsgSeq"], "MsgId": after["MsgId"]}]
    assert recall["Type"] == "Public" and "MsgId" not in rec["RecallRetList"][0]
    sent = await tim("openim/sendmsg", {"From_Account": "leckie", "To_Account": "tommy", "MsgRandom": 3,
                                        "MsgBody": text("oops")})
    assert (await tim("openim/admin_msgwithdraw", {"From_Account": "leckie", "To_Account": "tommy",
                                                   "MsgKey": sent["MsgKey"]}))["ErrorCode"] == 0
    wd = (await settle(client, 1, command="C2C.CallbackAfterMsgWithDraw"))[0]["body"]
    assert (wd["From_Account"], wd["To_Account"], wd["MsgKey"]) == ("leckie", "tommy", sent["MsgKey"])
