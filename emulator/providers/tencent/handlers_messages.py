"""Message commands (v4/openim one-to-one, v4/group_open_http_svc group): adapt a Call to the
rules in models_messages.py."""

from __future__ import annotations

from . import callbacks as cb
from . import models_messages as mm
from .errors import TencentError

FORBID_BEFORE, FORBID_AFTER = "ForbidBeforeSendMsgCallback", "ForbidAfterSendMsgCallback"


def _forbidden(data: dict, which: str) -> bool:
    """ForbidCallbackControl: the message asks not to fire that callback (§13.5, §13.7)."""
    return which in (data.get("ForbidCallbackControl") or ())


def _modified(data: dict, reply: dict | None) -> dict:
    """ErrorCode 0 with MsgBody and/or CloudCustomData: the message as the app changed it (§13.4)."""
    if not reply:
        return data
    out = data
    if isinstance(reply.get("MsgBody"), list):
        out = {**out, "MsgBody": reply["MsgBody"]}
    if isinstance(reply.get("CloudCustomData"), str):
        out = {**out, "CloudCustomData": reply["CloudCustomData"]}
    return out


def _c2c_body(data: dict, sender: str, seq: int, time: float) -> dict:
    random = data["MsgRandom"]
    body = {"From_Account": sender, "To_Account": data["To_Account"], "MsgSeq": seq, "MsgRandom": random,
            "MsgTime": int(time), "MsgKey": mm.msg_key(seq, random, time), "MsgId": mm.msg_id(sender, time, random),
            "OnlineOnlyFlag": data.get("OnlineOnlyFlag", 0), "MsgBody": data["MsgBody"]}
    if "CloudCustomData" in data:
        body["CloudCustomData"] = data["CloudCustomData"]
    return body


def h_sendmsg(call):
    """C2C.CallbackBeforeSendMsg (refuse 20006 / [120001, 130000], drop silently with 2, change
    MsgBody / CloudCustomData) and C2C.CallbackAfterSendMsg with the message as delivered."""
    app, data, now = call.tenant, call.data, call.now
    if not cb.enabled(call, "C2C.CallbackBeforeSendMsg") or _forbidden(data, FORBID_BEFORE):
        return _sent(call, data)
    # the checks sendmsg makes before it stores anything, so the app hears only of a valid send
    sender = mm._sender(app, data, call.caller, 90008)
    if data["To_Account"] not in app.accounts:
        raise TencentError(90012, f"To_Account {data['To_Account']} not imported")
    if data.get("MsgLifeTime", 0) > 604800:
        raise TencentError(90026, "MsgLifeTime is at most 604800 seconds (7 days)")
    mm.check_msg_body(app, data["MsgBody"], 90002, 90010)
    conv = app.messages.get(mm.c2c_id(sender, data["To_Account"]))
    seq = data.get("MsgSeq", conv.next_seq if conv is not None else 1)
    time = float(int(now))
    before = cb.hook(call, "C2C.CallbackBeforeSendMsg", _c2c_body(data, sender, seq, time))

    def apply(outcome):
        reply = cb.decide(outcome, before, c2c=True)
        if reply and reply.get("ErrorCode") == 2:      # dropped silently: the sender sees success
            return {"MsgTime": int(time), "MsgKey": mm.msg_key(seq, data["MsgRandom"], time),
                    "MsgId": mm.msg_id(sender, time, data["MsgRandom"])}
        return _sent(call, _modified(data, reply))
    return cb.ask(before, apply)


def _sent(call, data: dict) -> dict:
    app = call.tenant
    result = mm.sendmsg(app, data, call.caller, call.now)
    if not _forbidden(data, FORBID_AFTER) and cb.enabled(call, "C2C.CallbackAfterSendMsg"):
        sender = data.get("From_Account") or call.caller
        seq = int(result["MsgKey"].split("_", 1)[0])
        unread = mm.get_c2c_unread_msg_num(app, {"To_Account": data["To_Account"]})["AllC2CUnreadMsgNum"]
        cb.emit(call, "C2C.CallbackAfterSendMsg", {
            **_c2c_body(data, sender, seq, float(result["MsgTime"])), "MsgKey": result["MsgKey"],
            "MsgId": result["MsgId"], "SendMsgResult": 0, "ErrorInfo": "send msg succeed",
            "UnreadMsgNum": unread})
    return result


def h_batchsendmsg(call) -> dict:
    return mm.batchsendmsg(call.tenant, call.data, call.caller, call.now)


def h_importmsg(call) -> dict:
    return mm.importmsg(call.tenant, call.data, call.caller, call.now)


def h_admin_getroammsg(call) -> dict:
    return mm.admin_getroammsg(call.tenant, call.data)


def h_admin_msgwithdraw(call) -> dict:
    """C2C.CallbackAfterMsgWithDraw with the receiver's unread count after the recall (§13.7)."""
    result = mm.admin_msgwithdraw(call.tenant, call.data)
    if cb.enabled(call, "C2C.CallbackAfterMsgWithDraw"):
        d = call.data
        unread = mm.get_c2c_unread_msg_num(call.tenant, {"To_Account": d["To_Account"]})["AllC2CUnreadMsgNum"]
        cb.emit(call, "C2C.CallbackAfterMsgWithDraw", {"From_Account": d["From_Account"], "To_Account": d["To_Account"],
                                                       "MsgKey": d["MsgKey"], "UnreadMsgNum": unread})
    return result


def h_admin_set_msg_read(call) -> dict:
    return mm.admin_set_msg_read(call.tenant, call.data, call.now)


def h_get_c2c_unread_msg_num(call) -> dict:
    return mm.get_c2c_unread_msg_num(call.tenant, call.data)


def _group_body(call, g, data: dict) -> dict:
    """The group send hooks' fields (§13.5); MsgId (CN docs, 2025) as the C2C hooks make it, from
    the stored sender, the send's second and its Random."""
    sender = data.get("From_Account") or call.caller
    body = {"GroupId": g.GroupId, "Type": g.Type, "From_Account": sender,
            "Operator_Account": call.caller, "Random": data["Random"],
            "OnlineOnlyFlag": 0 if g.Type == "AVChatRoom" else data.get("OnlineOnlyFlag", 0),
            "MsgBody": data["MsgBody"], "MsgId": mm.msg_id(sender, int(call.now), data["Random"])}
    if "CloudCustomData" in data:
        body["CloudCustomData"] = data["CloudCustomData"]
    return body


def h_send_group_msg(call):
    """Group.CallbackBeforeSendMsg (refuse 10016 / [10100, 10200], drop silently with 2, change
    the message) and Group.CallbackAfterSendMsg (§13.5), unless ForbidCallbackControl says not."""
    app, data, now = call.tenant, call.data, call.now
    if not cb.enabled(call, "Group.CallbackBeforeSendMsg") or _forbidden(data, FORBID_BEFORE):
        return _group_sent(call, data)
    g = app.group(data["GroupId"])             # the checks send_group_msg makes first
    mm._check_sender(app, g, data.get("From_Account") or None, now)
    mm.check_msg_body(app, data["MsgBody"], 10004, 10004)
    before = cb.hook(call, "Group.CallbackBeforeSendMsg", _group_body(call, g, data))

    def apply(outcome):
        reply = cb.decide(outcome, before)
        if reply and reply.get("ErrorCode") == 2:      # dropped silently (reply fields UNKNOWN)
            return {"MsgTime": int(now), "MsgSeq": 0, "MsgDropReason": ""}
        return _group_sent(call, _modified(data, reply))
    return cb.ask(before, apply)


def _group_sent(call, data: dict) -> dict:
    result = mm.send_group_msg(call.tenant, data, call.caller, call.now)
    if not _forbidden(data, FORBID_AFTER) and cb.enabled(call, "Group.CallbackAfterSendMsg"):
        g = call.tenant.group(data["GroupId"])
        body = {**_group_body(call, g, data), "MsgSeq": result["MsgSeq"], "MsgTime": result["MsgTime"]}
        if data.get("GroupAtInfo"):
            body["GroupAtInfo"] = data["GroupAtInfo"]
        cb.emit(call, "Group.CallbackAfterSendMsg", body)
    return result


def h_send_group_system_notification(call) -> dict:
    return mm.send_group_system_notification(call.tenant, call.data, call.caller, call.now)


def h_import_group_msg(call) -> dict:
    return mm.import_group_msg(call.tenant, call.data, call.now)


def h_group_msg_get_simple(call) -> dict:
    return mm.group_msg_get_simple(call.tenant, call.data)


def h_group_msg_recall(call) -> dict:
    """Group.CallbackAfterRecallMsg with the messages this call recalled (§13.5)."""
    result = mm.group_msg_recall(call.tenant, call.data)
    done = [{"MsgSeq": r["MsgSeq"], "MsgId": r.pop("MsgId")} for r in result["RecallRetList"] if r["RetCode"] == 0]
    if done:
        g = call.tenant.group(call.data["GroupId"])
        cb.emit(call, "Group.CallbackAfterRecallMsg", {"Operator_Account": call.caller, "Type": g.Type,
                                                       "GroupId": g.GroupId, "MsgSeqList": done})
    return result


def h_delete_group_msg_by_sender(call) -> dict:
    return mm.delete_group_msg_by_sender(call.tenant, call.data)
