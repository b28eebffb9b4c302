"""OpenIM message reads, revoke, read state and deletes (reference openim-users-messages-webhooks.md
2.6-2.11), on the store models_messages.py writes. Each function takes (tenant, op userID,
request, now ms) and checks everything before it writes."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import orjson

from emulator.core.messages import DELETED, RECALLED, Conversation, Message

from . import callbacks as cb
from .errors import INTERNAL, OpenIMError, args, check, no_permission, not_found, panic
from .models import ADMIN, ORDINARY, OWNER, Tenant
from .models_common import require
from .models_messages import (HAS_READ_RECEIPT, IS_READ, NOTIFICATION_CHAT, READ_GROUP,
                              REVOKE_NOTIFICATION, SINGLE, _msg_data, _store, group_conv_id,
                              send_note, twin_id)
from .models_users import check_access


# --- reading -------------------------------------------------------------------------------------
def _user_convs(t: Tenant, user: str) -> list[str]:
    """The user's conversation rows: one-to-one/OA ones they are a party of, groups they are in
    or left (capped), and the n_ twins that hold something."""
    out = [c.id for c in t.messages.of_user(user) if not c.id.startswith("online:")]
    for gid in t.user_groups.get(user, ()):
        out.append(group_conv_id(gid))
    prefix = f"{user}\x00"
    out += [k[len(prefix):] for k in t.msg_caps if k.startswith(prefix)]
    return list(dict.fromkeys(out))


def _window(t: Tenant, user: str, cid: str) -> tuple[int, int]:
    conv = t.messages.get(cid)
    if conv is None:
        return 1, 0
    cap = t.msg_caps.get(f"{user}\x00{cid}")
    top = conv.last_seq if cap is None else min(cap, conv.last_seq)
    low = max(conv.first_seq, t.msg_mins.get(f"\x00{cid}", 0), t.msg_mins.get(f"{user}\x00{cid}", 0))
    return low, top


def _owns(t: Tenant, user: str, cid: str) -> bool:
    if cid.startswith(("si_", "sn_", "n_")):
        conv = t.messages.get(cid)
        return conv is not None and (user in conv.users or not conv.users)
    if cid.startswith("sg_"):
        return cid[3:] in t.user_groups.get(user, ()) or f"{user}\x00{cid}" in t.msg_caps
    return False


def newest_seq(t: Tenant, op: str, req: dict, now: int):
    from .provider import GoMap
    check_access(t, op, req["userID"])
    user = req["userID"]
    seqs = GoMap()
    for cid in _user_convs(t, user):
        for c in (cid, twin_id(cid)):
            conv = t.messages.get(c)
            if conv is not None and conv.last_seq > 0:
                seqs[c] = _window(t, user, c)[1] if c == cid else conv.last_seq
    own = t.messages.get(f"n_{user}_{user}")
    if own is not None and own.last_seq > 0:
        seqs[own.id] = own.last_seq
    return {"maxSeqs": seqs, "minSeqs": GoMap()}


def _as_pulled(t: Tenant, msg: Message) -> dict:
    data = msg.content()
    data["seq"] = msg.seq
    data["isRead"] = bool(msg.flags & IS_READ)
    if msg.flags & RECALLED and len(msg.ids) >= 6:
        revoker, role, nickname, when = msg.ids[2:6]
        detail = {"revokerID": revoker, "revokerRole": role, "clientMsgID": data["clientMsgID"],
                  "revokerNickname": nickname, "revokeTime": when,
                  "sourceMessageSendTime": data["sendTime"], "sourceMessageSendID": data["sendID"],
                  "sourceMessageSenderNickname": data["senderNickname"],
                  "sessionType": data["sessionType"], "seq": msg.seq, "ex": ""}
        data["contentType"] = REVOKE_NOTIFICATION
        data["content"] = orjson.dumps({"detail": orjson.dumps(detail).decode()}).decode()
    data["content"] = base64.b64encode(data["content"].encode()).decode()
    return data


def pull_msg_by_seq(t: Tenant, op: str, req: dict, now: int):
    """No permission check (any token, any userID); a range the user has no row for is skipped;
    more than ``num`` in the window: the newest ``num``; a missing/deleted seq: status 4."""
    from .provider import GoMap
    user = req["userID"]
    msgs, notes = GoMap(), GoMap()
    for r in req["seqRanges"] or []:
        cid = r["conversationID"]
        is_n = cid.startswith("n_")
        conv = t.messages.get(cid)
        if conv is None or not _owns(t, user, cid):
            continue
        lo, hi = _window(t, user, cid)
        lo, hi = max(lo, r["begin"]), min(hi, r["end"])
        if hi < lo:
            continue
        if not is_n and r["num"] > 0 and hi - lo + 1 > r["num"]:
            lo = hi - r["num"] + 1
        out = []
        hidden = set(t.msg_hidden.get(f"{user}\x00{cid}", ()))
        for seq in range(lo, hi + 1):
            m = conv.at(seq)
            if m is None or m.flags & DELETED or seq in hidden:
                out.append({"seq": seq, "status": 4, "content": ""})
            else:
                out.append(_as_pulled(t, m))
        if req["order"] == 1:
            out.reverse()
        (notes if is_n else msgs)[cid] = {"Msgs": out, "isEnd": lo <= conv.first_seq, "endSeq": 0}
    return {"msgs": msgs, "notificationMsgs": notes}


def search_msg(t: Tenant, op: str, req: dict, now: int):
    """Only si_/sg_ conversations, storage order; no pagination -> no logs (2.7)."""
    day = None
    if req["sendTime"]:
        try:
            day = datetime.strptime(req["sendTime"], "%Y-%m-%d").replace(tzinfo=timezone.utc)
        except ValueError as exc:
            raise args(f"invalid sendTime, req={req['sendTime']}, format=2006-01-02, cause={exc}") from None
    lo = day.timestamp() if day else None
    found = []
    for conv in t.messages.convs.values():
        if not conv.id.startswith(("si_", "sg_")):
            continue
        for m in conv.messages():
            if m.flags & DELETED:
                continue
            d = m.content()
            if req["sendID"] and d["sendID"] != req["sendID"]:
                continue
            if req["recvID"] and req["recvID"] not in (d["recvID"], d["groupID"]):
                continue
            if req["contentType"] and d["contentType"] != req["contentType"]:
                continue
            if req["sessionType"] and d["sessionType"] != req["sessionType"]:
                continue
            if lo is not None and not lo <= d["sendTime"] / 1000 < lo + 86400:
                continue
            found.append((m, d))
    p = req["pagination"]
    page = []
    if p is not None and p["showNumber"] > 0 and p["pageNumber"] > 0:
        start = (p["pageNumber"] - 1) * p["showNumber"]
        page = found[start:start + p["showNumber"]]
    logs = [{"chatLog": _chat_log(t, m, d), "isRevoked": bool(m.flags & RECALLED)} for m, d in page]
    return {"chatLogs": logs, "chatLogsNum": len(found)}


def _chat_log(t: Tenant, m: Message, d: dict) -> dict:
    sender = t.users.get(d["sendID"])
    log = {k: d[k] for k in ("serverMsgID", "clientMsgID", "sendID", "recvID", "groupID",
                             "senderPlatformID", "senderNickname", "senderFaceURL", "sessionType",
                             "msgFrom", "contentType", "content", "status", "sendTime",
                             "createTime", "ex")}
    log.update(recvNickname="", groupName="", groupFaceURL="", groupMemberCount=0, seq=m.seq,
               groupOwner="", groupType=0)
    if not log["senderNickname"] and sender is not None:
        log["senderNickname"] = sender.nickname
    g = t.groups.get(d["groupID"]) if d["groupID"] else None
    if g is not None:
        log.update(recvID=g.groupID, groupName=g.groupName, groupMemberCount=len(g.members),
                   groupOwner=g.owner, groupType=g.groupType, senderFaceURL=g.faceURL)
    elif d["recvID"] in t.users:
        log["recvNickname"] = t.users[d["recvID"]].nickname
    return log


# --- revoke ---------------------------------------------------------------------------------------
def revoke_msg(t: Tenant, op: str, req: dict, now: int):
    cid, seq, user = req["conversationID"], req["seq"], req["userID"]
    require(cid, "conversationID is empty")
    if seq < 1:
        raise check("seq is invalid")
    require(user, "userID is empty")
    check_access(t, op, user)
    if user not in t.users:
        raise not_found("record not found")
    conv = t.messages.get(cid)
    lo, hi = _window(t, user, cid) if conv is not None else (1, 0)
    msg = conv.at(seq) if conv is not None and lo <= seq <= hi and _owns(t, user, cid) else None
    if msg is None or msg.flags & DELETED:
        raise not_found("msg not found")
    if msg.flags & RECALLED:
        raise OpenIMError(1404, detail="msg already revoke")
    d = msg.content()
    role = 0
    if not t.is_admin(op):
        if d["sessionType"] == SINGLE:
            if d["sendID"] != op:
                raise no_permission(f"ownerUserID, {d['sendID']}=MISSING")
            role = t.users[op].appMangerLevel
        elif d["sessionType"] == READ_GROUP:
            g = t.groups.get(d["groupID"])
            mine = g.members.get(op) if g is not None else None
            role = mine.roleLevel if mine is not None else 0
            if d["sendID"] != op:
                sender = g.members.get(d["sendID"]) if g is not None else None
                if mine is None or mine.roleLevel not in (OWNER, ADMIN):
                    raise no_permission("no permission")
                if sender is None and mine.roleLevel == ADMIN and not t.setting("revoke_former_member_by_admin"):
                    raise panic("runtime error: invalid memory address or nil pointer dereference")
                if mine.roleLevel == ADMIN and sender is not None and sender.roleLevel != ORDINARY:
                    raise no_permission("no permission")
        else:
            raise OpenIMError(INTERNAL, detail=f"msg sessionType not supported, sessionType={d['sessionType']}")
    nickname = t.users[op].nickname if op in t.users else ""
    msg.flags |= RECALLED
    msg.ids = tuple(msg.ids[:2]) + (op, role, nickname, now)
    tips = {"revokerUserID": op, "clientMsgID": d["clientMsgID"], "revokeTime": now, "seq": seq,
            "sesstionType": d["sessionType"], "conversationID": cid, "isAdminRevoke": t.is_admin(op)}
    recv = d["groupID"] if d["sessionType"] == READ_GROUP else (
        d["recvID"] if d["sendID"] == user else d["sendID"])
    fields = {"sendID": user, "recvID": recv, "groupID": d["groupID"], "options": {}}
    note = _msg_data(t, fields, orjson.dumps({"detail": orjson.dumps(tips).decode()}).decode(),
                     REVOKE_NOTIFICATION, d["sessionType"], now)
    send_note(t, twin_id(cid), note, conv.users)      # a group's 2101 asks beforeSendGroupMsg (§4.6)
    cb.after("afterRevokeMsg", lambda: {"conversationID": cid, "seq": seq, "userID": user})  # revoke.go:131
    return None


# --- read state -----------------------------------------------------------------------------------
def _conv_type(conv: Conversation) -> int:
    """The conversation row's conversationType: 1 single, 3 group, 4 notification chat."""
    if conv.id.startswith("sg_") or (conv.id.startswith("n_") and not conv.users):
        return READ_GROUP
    return NOTIFICATION_CHAT if conv.id.startswith("sn_") else SINGLE


def _after_single_read(cid: str, user: str, seqs, conv: Conversation) -> None:
    """afterSingleMsgRead (§4.6): the request's seqs as ``Seqs`` (capital S, as the server's
    struct tags it), contentType the conversation type."""
    cb.after("afterSingleMsgRead", lambda: {"conversationID": cid, "userID": user, "Seqs": seqs,
                                            "contentType": _conv_type(conv)})


def _read_receipt(t: Tenant, user: str, cid: str, conv: Conversation, seqs, now: int) -> None:
    """HasReadReceipt 2200 to the peer of a one-to-one conversation, stored in its n_ twin."""
    if not cid.startswith("si_"):
        return
    peer = next((u for u in conv.users if u != user), user)
    if peer == user:
        return
    tips = {"conversationID": cid, "markAsReadUserID": user, "seqs": seqs,
            "hasReadSeq": conv.marks.get(user, [0, 0])[0]}
    fields = {"sendID": user, "recvID": peer, "options": {}}
    data = _msg_data(t, fields, orjson.dumps({"detail": orjson.dumps(tips).decode()}).decode(),
                     HAS_READ_RECEIPT, SINGLE, now)
    _store(t, twin_id(cid), data, conv.users)


def _self_receipt(t: Tenant, user: str, cid: str, conv: Conversation, seqs, now: int) -> None:
    """HasReadReceipt 2200 to the reader itself (group and notification chats): not stored
    (sender = receiver, 2.9), but a single-chat SendMsg all the same, so afterSendSingleMsg
    sees it (4.6); built only when that hook is on."""
    if not cb.group_msg_hooks(HAS_READ_RECEIPT, ("afterSendSingleMsg",)):
        return
    tips = {"conversationID": cid, "markAsReadUserID": user, "seqs": seqs,
            "hasReadSeq": conv.marks.get(user, [0, 0])[0]}
    fields = {"sendID": user, "recvID": user, "options": {}}
    cb.after_send(_msg_data(t, fields, orjson.dumps({"detail": orjson.dumps(tips).decode()}).decode(),
                            HAS_READ_RECEIPT, SINGLE, now))


def mark_msgs_as_read(t: Tenant, op: str, req: dict, now: int):
    """No permission check. The last element of seqs (not the max) must not pass maxSeq."""
    cid, seqs, user = req["conversationID"], req["seqs"], req["userID"]
    require(cid, "conversationID is empty")
    if seqs is None:
        raise check("seqs is empty")
    require(user, "userID is empty")
    if 0 in seqs:
        raise check("seqs has 0 value is invalid")
    if not seqs:
        raise args("seqs must not be empty")
    conv = t.messages.get(cid)
    if conv is None or not _owns(t, user, cid):
        raise not_found("record not found")
    if seqs[-1] > conv.last_seq:
        raise args("hasReadSeq must not be bigger than maxSeq")
    for s in seqs:
        m = conv.at(s)
        if m is not None:
            m.flags |= IS_READ
    if seqs[-1] > conv.marks.get(user, [0, 0])[0]:
        t.messages.mark(conv, user, read_seq=seqs[-1])
    _after_single_read(cid, user, seqs, conv)       # any conversation type, before the 2200
    _read_receipt(t, user, cid, conv, seqs, now)
    return None


def set_conversation_has_read_seq(t: Tenant, op: str, req: dict, now: int):
    """Sets (even lowers) the read position; no conversation check; 2200 to self is not stored."""
    cid, user, seq = req["conversationID"], req["userID"], req["hasReadSeq"]
    require(cid, "conversationID is empty")
    require(user, "userID is empty")
    if seq < 1:
        raise check("hasReadSeq is invalid")
    conv = t.messages.get(cid)
    top = conv.last_seq if conv is not None else 0
    if seq > top:
        raise args("hasReadSeq must not be bigger than maxSeq")
    t.messages.mark(conv, user, read_seq=seq)
    _self_receipt(t, user, cid, conv, None, now)
    return None


def get_conversations_has_read_and_max_seq(t: Tenant, op: str, req: dict, now: int):
    from .provider import GoMap
    user = req["userID"]
    require(user, "userID is empty")
    ids = req["conversationIDs"] or _user_convs(t, user)
    seqs = GoMap()
    for cid in ids:
        conv = t.messages.get(cid)
        if conv is None or not _owns(t, user, cid):
            continue
        top = _window(t, user, cid)[1]
        last = conv.at(top)
        seqs[cid] = {"maxSeq": top, "hasReadSeq": conv.marks.get(user, [0, 0])[0],
                     "maxSeqTime": int(last.time * 1000) if last is not None else 0}
    out = {"seqs": seqs}
    if t.setting("send_reply_modify"):      # the patch.16 protocol has pinnedConversationIDs
        out["pinnedConversationIDs"] = None
    return out


# --- deleting -------------------------------------------------------------------------------------
def delete_msg_phsical_by_seq(t: Tenant, op: str, req: dict, now: int):
    """Physical delete of seqs, no permission check (2.10); reads then show status 4."""
    conv = t.messages.get(req["conversationID"])
    if conv is not None:
        for s in req["seqs"] or []:
            m = conv.at(s)
            if m is not None:
                m.flags |= DELETED
    return None


def get_server_time(t: Tenant, op: str, req: dict, now: int):
    return {"serverTime": now}


# --- clearing and deleting per user or for everyone (2.10) ----------------------------------------
DELETE_NOTIFICATION = 2102


def _sync_opt(req: dict) -> tuple[bool, bool]:
    opt = req.get("deleteSyncOpt") or {}
    return bool(opt.get("IsSyncSelf")), bool(opt.get("IsSyncOther"))


def _clear(t: Tenant, user: str, cids, everyone: bool) -> None:
    """minSeq := maxSeq + 1 for the user (or the whole conversation); hasReadSeq := maxSeq."""
    for cid in cids:
        conv = t.messages.get(cid)
        if conv is None or not _owns(t, user, cid) or cid.startswith("online:"):
            continue
        top = conv.last_seq
        t.msg_mins[("" if everyone else user) + "\x00" + cid] = top + 1
        t.msg_hidden.pop(f"{user}\x00{cid}", None)
        t.messages.mark(conv, user, read_seq=top)


def clear_conversation_msg(t: Tenant, op: str, req: dict, now: int):
    """Only conversations the user has are cleared; IsSyncOther hides them for everybody."""
    if req["conversationIDs"] is None:
        raise check("conversationIDs is empty")
    require(req["userID"], "userID is empty")
    check_access(t, op, req["userID"])
    _clear(t, req["userID"], req["conversationIDs"], _sync_opt(req)[1])
    return None


def user_clear_all_msg(t: Tenant, op: str, req: dict, now: int):
    require(req["userID"], "userID is empty")
    check_access(t, op, req["userID"])
    _clear(t, req["userID"], _user_convs(t, req["userID"]), _sync_opt(req)[1])
    return None


def delete_msgs(t: Tenant, op: str, req: dict, now: int):
    """IsSyncOther: deleted for everyone, 2102 to the peer/group (stored in the n_ twin); else
    hidden for userID only (reads show content "" and status 4)."""
    cid, seqs, user = req["conversationID"], req["seqs"], req["userID"]
    require(cid, "conversationID is empty")
    require(user, "userID is empty")
    if seqs is None:
        raise check("seqs is empty")
    check_access(t, op, user)
    conv = t.messages.get(cid)
    if conv is None:
        return None
    _, other = _sync_opt(req)
    if other:
        for s in seqs:
            m = conv.at(s)
            if m is not None:
                m.flags |= DELETED
        tips = {"conversationID": cid, "seqs": seqs}
        group = cid[3:] if cid.startswith("sg_") else ""
        peer = group or next((u for u in conv.users if u != user), user)
        if peer != user:
            fields = {"sendID": user, "recvID": "" if group else peer, "groupID": group, "options": {}}
            note = _msg_data(t, fields, orjson.dumps({"detail": orjson.dumps(tips).decode()}).decode(),
                             DELETE_NOTIFICATION, READ_GROUP if group else SINGLE, now)
            send_note(t, twin_id(cid), note, conv.users)
        return None
    key = f"{user}\x00{cid}"
    kept = [s for s in t.msg_hidden.get(key, ()) if s >= conv.first_seq]   # dropped by the cap: gone
    t.msg_hidden[key] = sorted(set(kept) | {s for s in seqs if conv.first_seq <= s <= conv.last_seq})
    if not t.msg_hidden[key]:
        del t.msg_hidden[key]
    return None


def mark_conversation_as_read(t: Tenant, op: str, req: dict, now: int):
    """No maxSeq check; the user must have the conversation (1004). One-to-one: the seqs from the
    old read position up to hasReadSeq, and ``seqs``, become read, 2200 to the peer; groups and
    notification chats only move the read position."""
    cid, user, seq, seqs = req["conversationID"], req["userID"], req["hasReadSeq"], req["seqs"] or []
    require(cid, "conversationID is empty")
    require(user, "userID is empty")
    if seq < 1:
        raise check("hasReadSeq is invalid")
    if 0 in seqs:
        raise check("seqs has 0 value is invalid")
    conv = t.messages.get(cid)
    if conv is None or not _owns(t, user, cid):
        raise not_found("record not found")
    old = conv.marks.get(user, [0, 0])[0]
    if cid.startswith("si_"):
        for s in list(range(old + 1, seq + 1)) + list(seqs):
            m = conv.at(s)
            if m is not None:
                m.flags |= IS_READ
    if seq > old:
        t.messages.mark(conv, user, read_seq=seq)
    if cid.startswith("si_"):
        _read_receipt(t, user, cid, conv, seqs, now)
    else:
        _self_receipt(t, user, cid, conv, req["seqs"], now)
    ctype = _conv_type(conv)
    if ctype == SINGLE:         # after the 2200, with the request's seqs (null when absent)
        _after_single_read(cid, user, req["seqs"], conv)
    elif ctype == READ_GROUP:   # unreadMsgNum carries the hasReadSeq sent (as the server fills it)
        cb.after("afterGroupMsgRead", lambda: {"sendID": user, "receiveID": user, "unreadMsgNum": seq,
                                               "contentType": READ_GROUP})
    return None


def delete_msg_physical(t: Tenant, op: str, req: dict, now: int):
    """Admin only. Both tags pass (now in seconds - timestamp) as a millisecond cutoff and ignore
    conversationIDs, so nothing is deleted (2.10, INFERRED): answered success, state unchanged."""
    from .models_users import check_admin
    if req["conversationIDs"] is None:
        raise check("conversationIDs is empty")
    check_admin(t, op)
    return None
