"""OpenIM message webhooks (openim-users-messages-webhooks.md §4.1, §4.5-§4.7) in both version
profiles: before/after send hooks on /msg/send_msg, the admin-sender exemption, beforeMsgModify
changing a text message, refusals stopping the send with the reply's code and storing nothing,
type filters and attentionIds, the revoke hook, business notifications and group notifications."""

from __future__ import annotations

import base64

from tests.callback_support import configure, deliveries, settle
from tests.openim_support import openim_tenant
from tests.test_openim_versions import IM, P16, V383, im, settings, version  # noqa: F401 (fixtures)

TEXT = {"contentType": 101, "content": {"content": "hi"}}
SINGLE, GROUP = "callbackBeforeSendSingleMsgCommand", "callbackBeforeSendGroupMsgCommand"
AFTER_SINGLE, AFTER_GROUP = "callbackAfterSendSingleMsgCommand", "callbackAfterSendGroupMsgCommand"
MODIFY = "callbackBeforeMsgModifyCommand"


def tid(runtime, im) -> str:
    t = openim_tenant(runtime, im.secret)
    return next(k for k, v in runtime.providers["openim"].backend.tenants.items() if v is t)


async def setup(client, runtime, im, receiver, hooks: dict):
    await configure(client, "openim", tid(runtime, im), receiver.url,
                    hooks={k: {"enable": True, **v} for k, v in hooks.items()})


def single(send="leckie", recv="bob", **extra):
    return {"sendID": send, "recvID": recv, "sessionType": 1, **TEXT, **extra}


async def pull(im, user, cid):
    data = await im.ok("/msg/pull_msg_by_seq", {"userID": user, "seqRanges": [
        {"conversationID": cid, "begin": 1, "end": 100, "num": 100}]})
    return (data["msgs"] or {}).get(cid, {}).get("Msgs") or []


async def test_single_send_hooks_body_and_order(client, runtime, im, receiver):
    await setup(client, runtime, im, receiver, {"beforeSendSingleMsg": {}, "beforeMsgModify": {},
                                                "afterSendSingleMsg": {}})
    status, body = await im.raw("/msg/send_msg", single(senderNickname="L", ex="e"))
    assert body["errCode"] == 0, body
    reply = body["data"]
    await settle(client, 1, command=AFTER_SINGLE)
    assert receiver.commands() == [SINGLE, MODIFY, AFTER_SINGLE]
    before, modify, after = (r["body"] for r in receiver.received)
    for b in (before, modify, after):
        assert (b["sendID"], b["serverMsgID"], b["clientMsgID"]) == ("leckie", reply["serverMsgID"],
                                                                     reply["clientMsgID"])
        assert (b["sessionType"], b["contentType"], b["msgFrom"], b["seq"]) == (1, 101, 200, 0)
        assert b["content"] == '{"content":"hi"}' and b["senderNickname"] == "L" and b["ex"] == "e"
        assert b["operationID"] == receiver.received[0]["headers"]["operationID"]
    assert before["recvID"] == "bob" and after["recvID"] == "bob" and "recvID" not in modify
    assert "groupID" not in before


async def test_admin_sender_skips_before_single(client, runtime, im, receiver):
    await setup(client, runtime, im, receiver, {"beforeSendSingleMsg": {}, "afterSendSingleMsg": {}})
    await im.ok("/msg/send_msg", single(send="imAdmin"))
    await settle(client, 1, command=AFTER_SINGLE)
    assert receiver.commands() == [AFTER_SINGLE]


async def test_refusal_stops_send_and_stores_nothing(client, runtime, im, receiver):
    await setup(client, runtime, im, receiver, {"beforeSendSingleMsg": {}, "afterSendSingleMsg": {}})
    receiver.refuse(SINGLE, 5003, "blocked word")
    status, body = await im.raw("/msg/send_msg", single())
    assert (body["errCode"], body["errMsg"]) == (5003, "blocked word")
    assert await pull(im, "bob", "si_bob_leckie") == []
    # not recorded as sent either
    status, body = await im.raw("/msg/check_msg_is_send_success", {})
    assert body["data"]["status"] == 0
    assert await deliveries(client, command=AFTER_SINGLE) == []
    # a network failure aborts with 90004 (failedContinue is not read, §4.4)
    await configure(client, "openim", tid(runtime, im), "http://127.0.0.1:9/cb",
                    hooks={"beforeSendSingleMsg": {"enable": True}})
    assert (await im.body("/msg/send_msg", single()))["errCode"] == 90004
    assert await pull(im, "bob", "si_bob_leckie") == []


async def test_modify_changes_stored_text(client, runtime, im, receiver):
    await setup(client, runtime, im, receiver, {"beforeMsgModify": {}})
    receiver.override(MODIFY, content='{"content":"***"}', ex="checked")
    await im.ok("/msg/send_msg", single())
    [m] = await pull(im, "bob", "si_bob_leckie")
    assert base64.b64decode(m["content"]).decode() == '{"content":"***"}' and m["ex"] == "checked"
    # only text messages are offered for modification
    await im.ok("/msg/send_msg", single(contentType=110, content={"data": "d"}))
    assert receiver.commands() == [MODIFY]


async def test_group_send_hooks_and_refusal(client, runtime, im, receiver):
    gid = await im.group()
    await setup(client, runtime, im, receiver, {"beforeSendGroupMsg": {}, "afterSendGroupMsg": {}})
    msg = {"sendID": "bob", "groupID": gid, "sessionType": 3, **TEXT}
    await im.ok("/msg/send_msg", msg)
    await settle(client, 1, command=AFTER_GROUP)
    assert receiver.commands() == [GROUP, AFTER_GROUP]
    b = receiver.received[0]["body"]
    assert b["groupID"] == gid and "recvID" not in b and b["sessionType"] == 3
    receiver.refuse(GROUP, 5005, "no")
    before = len(await pull(im, "bob", "sg_" + gid))
    assert (await im.body("/msg/send_msg", msg))["errCode"] == 5005
    assert len(await pull(im, "bob", "sg_" + gid)) == before


async def test_type_filters_and_attention_ids(client, runtime, im, receiver):
    await setup(client, runtime, im, receiver, {
        "beforeSendSingleMsg": {"deniedTypes": ["100-105"]},
        "afterSendSingleMsg": {"allowedTypes": ["110", "bad"], "attentionIds": ["tommy"]}})
    await im.ok("/msg/send_msg", single())                                     # 101 denied
    await im.ok("/msg/send_msg", single(contentType=110, content={"data": "d"}))  # no attention id
    await im.ok("/msg/send_msg", single(recv="tommy", contentType=110, content={"data": "d"}))
    await settle(client, 1, command=AFTER_SINGLE)
    assert receiver.commands() == [SINGLE, SINGLE, AFTER_SINGLE]      # the two 110 sends
    assert receiver.received[2]["body"]["recvID"] == "tommy"


async def test_revoke_business_and_group_notifications(client, runtime, im, receiver):
    await setup(client, runtime, im, receiver, {"afterRevokeMsg": {}, "afterSendSingleMsg": {},
                                                "afterSendGroupMsg": {}})
    await im.ok("/msg/send_msg", single())
    await im.ok("/msg/revoke_msg", {"conversationID": "si_bob_leckie", "seq": 1, "userID": "leckie"})
    [rev] = await settle(client, 1, command="callbackBeforeAfterMsgCommand")
    assert {k: rev["body"][k] for k in ("conversationID", "seq", "userID")} == {
        "conversationID": "si_bob_leckie", "seq": 1, "userID": "leckie"}
    # the 2101 notification is a single-chat message too, its content "" in the body (§4.5)
    rows = await settle(client, 2, command=AFTER_SINGLE)
    assert [r["body"]["contentType"] for r in rows] == [101, 2101] and rows[1]["body"]["content"] == ""
    await im.ok("/msg/send_business_notification", {"key": "k", "data": "d", "sendUserID": "leckie",
                                                   "recvUserID": "bob"})
    rows = await settle(client, 3, command=AFTER_SINGLE)
    assert rows[2]["body"]["contentType"] == 2001
    gid = await im.group()
    [note] = await settle(client, 1, command=AFTER_GROUP)
    assert (note["body"]["contentType"], note["body"]["groupID"]) == (1501, gid)
