"""OpenIM messages on the core store (reference openim-users-messages-webhooks.md section 2).

Conversation ids are the server's: ``si_<a>_<b>`` (the two userIDs sorted), ``sg_<groupID>``,
``sn_<a>_<b>`` (sessionType 4) and the ``n_`` twins where revoke/read notifications take a seq.
What the server pushes without storing (isOnlineOnly sends, business notifications) goes to
``online:<conversation>`` so tests still see it; no OpenIM read route lists those.

A stored message's body is the server's MsgData (content as the JSON text the server stores);
its ids are (serverMsgID, clientMsgID) plus, once revoked, (revokerUserID, role, nickname, time).
IDs are 32-hex MD5 digests from the tenant's sequence (never random); seqs start at 1 per
conversation. Each function takes (tenant, op userID, request, now ms) and checks before writing.
Reads, revoke, read state and deletes are in models_messages_read.py.
"""

from __future__ import annotations

import orjson

from emulator.core.messages import AS_ADMIN, PROVIDER_FLAG, Conversation, Message

from . import callbacks as cb
from .callbacks import _current as _hooks      # the request's webhook context (None: no hooks)
from .errors import (ARGS, CHECK, INTERNAL, NO_PERMISSION, USER_ID_NOT_FOUND, OpenIMError, args,
                     no_permission, not_found, wrapped)
from .models import ADMIN, OWNER, STATUS_DISMISSED, STATUS_MUTED, Group, Tenant
from .models_common import group_info

SINGLE, GROUP_CHAT, READ_GROUP, NOTIFICATION_CHAT = 1, 2, 3, 4   # constant.*ChatType
TEXT, PICTURE, VOICE, VIDEO, FILE, AT_TEXT, CUSTOM, OA_NOTIFICATION = 101, 102, 103, 104, 105, 106, 110, 1400
SENDABLE = (TEXT, PICTURE, VOICE, VIDEO, FILE, AT_TEXT, CUSTOM, OA_NOTIFICATION)   # api/msg.go whitelist
BUSINESS_NOTIFICATION = 2001
REVOKE_NOTIFICATION = 2101
HAS_READ_RECEIPT = 2200
NOTIFICATION_MIN, NOTIFICATION_MAX = 1000, 5000     # contentTypes that skip the session checks
MSG_FROM_SYS = 200                                 # constant.SysMsgType: every REST send
NOTIFICATION_ADMIN_LEVELS = (2, 3)                 # AppAdmin / AppNotificationAdmin may send 1400
BATCH_PAGE = 500                                   # isSendAll pages users 500 at a time
IS_READ = PROVIDER_FLAG                            # MsgData.isRead (mark_msgs_as_read)
ONLY_ADMIN = "only app manager can send message"


# --- conversation ids --------------------------------------------------------------------------
def single_id(a: str, b: str) -> str:
    return "si_" + "_".join(sorted((a, b)))


def group_conv_id(gid: str) -> str:
    return "sg_" + gid


def oa_id(a: str, b: str) -> str:
    return "sn_" + "_".join(sorted((a, b)))


def twin_id(cid: str) -> str:
    """The ``n_`` family id of a chat conversation (where server notifications about it go)."""
    return "n_" + cid[3:] if cid.startswith(("si_", "sg_", "sn_")) else cid


def _conv(t: Tenant, cid: str, users=()) -> Conversation:
    conv = t.messages.convs.get(cid)
    if conv is not None:        # every send after a conversation's first: skip kind and sort
        return conv
    kind = "group" if cid.startswith(("sg_", "n_")) and not users else cid.split("_", 1)[0]
    return t.messages.conversation(cid, kind, sorted(users))


# --- errors of this family ---------------------------------------------------------------------
def _only_admin() -> OpenIMError:
    """API-layer permission text: patch.16 prints it, v3.8.3 answers errDlt "" (0.1)."""
    return OpenIMError(NO_PERMISSION, detail=ONLY_ADMIN, kind=CHECK)


def _bind(t: Tenant, field: str, tag: str = "required", struct: str = "SendMsgReq.SendMsg") -> OpenIMError:
    """A gin binding failure: 1001, HTTP 400, errDlt the validator's text (0.2, INFERRED)."""
    return OpenIMError(ARGS, detail=f"Key: '{struct}.{field}' Error:Field validation for '{field}' "
                                    f"failed on the '{tag}' tag", http_status=400)


def _content_error(t: Tenant, text: str) -> OpenIMError:
    """Content validation is no CodeError: 500; patch.16 puts the text in errDlt, v3.8.3 in errMsg."""
    if t.setting("error_format") == "v3.8.3":
        return OpenIMError(INTERNAL, message=text, detail="")
    return OpenIMError(INTERNAL, detail=text)


# --- content rules per contentType (apistruct/msg.go) -------------------------------------------
# contentType -> (element struct, [(json key, Go name, kind)]); kind "s" string, "n" number >= 1,
# "o" object with its own rules, "l" list present (<= 1000 items).
_PIC = [("type", "Type", "s"), ("width", "Width", "n"), ("height", "Height", "n"), ("url", "Url", "s")]
ELEMENTS = {
    TEXT: ("TextElem", [("content", "Content", "s")]),
    PICTURE: ("PictureElem", [("sourcePicture", "SourcePicture", ("PictureBaseInfo", _PIC)),
                              ("bigPicture", "BigPicture", ("PictureBaseInfo", _PIC)),
                              ("snapshotPicture", "SnapshotPicture", ("PictureBaseInfo", _PIC))]),
    VOICE: ("SoundElem", [("sourceUrl", "SourceURL", "s"), ("duration", "Duration", "n")]),
    VIDEO: ("VideoElem", [("videoUrl", "VideoURL", "s"), ("videoType", "VideoType", "s"),
                          ("videoSize", "VideoSize", "n"), ("duration", "Duration", "n"),
                          ("snapshotUrl", "SnapshotURL", "s"), ("snapshotWidth", "SnapshotWidth", "n"),
                          ("snapshotHeight", "SnapshotHeight", "n")]),
    FILE: ("FileElem", [("sourceUrl", "SourceURL", "s"), ("fileName", "FileName", "s"),
                        ("fileSize", "FileSize", "n")]),
    AT_TEXT: ("AtElem", [("atUserList", "AtUserList", "l")]),
    CUSTOM: ("CustomElem", [("data", "Data", "s")]),
    OA_NOTIFICATION: ("OANotificationElem", [("notificationName", "NotificationName", "s"),
                                             ("notificationType", "NotificationType", "n"),
                                             ("text", "Text", "s")]),
}
AT_USER_MAX = 1000      # AtElem atUserList validate:"max=1000"
MIX_TYPE_MAX = 5        # OANotificationElem mixType validate:"gte=0,lte=5"


def _lookup(obj: dict, key: str):
    """mapstructure matches keys case-insensitively; an exact match wins."""
    if key in obj:
        return obj[key]
    low = key.lower()
    for k, v in obj.items():
        if isinstance(k, str) and k.lower() == low:
            return v
    return None


def _where(struct: str, name: str) -> str:
    return f"Key: '{struct}.{name}' Error:Field validation for '{name}'"


def _validate_element(t: Tenant, struct: str, rules, obj: dict) -> None:
    for key, name, kind in rules:
        v = obj[key] if key in obj else _lookup(obj, key)
        if isinstance(kind, tuple):
            if v is not None and not isinstance(v, dict):
                raise _content_error(t, f"1 error(s) decoding:\n\n* '{key}' expected a map, got "
                                        f"'{type(v).__name__}'")
            _validate_element(t, f"{struct}.{name}", kind[1], v or {})
            continue
        if kind == "s":
            if v is not None and not isinstance(v, str):
                raise _content_error(t, f"1 error(s) decoding:\n\n* '{key}' expected type 'string', "
                                        f"got unconvertible type '{type(v).__name__}'")
            if not v:
                raise _content_error(t, f"{_where(struct, name)} failed on the 'required' tag")
        elif kind == "n":
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise _content_error(t, f"1 error(s) decoding:\n\n* '{key}' expected a number, got "
                                        f"'{type(v).__name__}'")
            if not v:
                raise _content_error(t, f"{_where(struct, name)} failed on the 'required' tag")
        elif kind == "l":
            if v is None or not isinstance(v, list):
                raise _content_error(t, f"{_where(struct, name)} failed on the 'required' tag")
            if len(v) > AT_USER_MAX:
                raise _content_error(t, f"{_where(struct, name)} failed on the 'max' tag")


def validate_content(t: Tenant, content_type: int, content: dict) -> None:
    struct, rules = ELEMENTS[content_type]
    _validate_element(t, struct, rules, content)
    if content_type == OA_NOTIFICATION:
        mix = _lookup(content, "mixType") or 0
        if not isinstance(mix, int) or not 0 <= mix <= MIX_TYPE_MAX:
            raise _content_error(t, "Key: 'OANotificationElem.MixType' Error:Field validation for "
                                    "'MixType' failed on the 'lte' tag")


# --- storing -------------------------------------------------------------------------------------
def _msg_data(t: Tenant, req: dict, content: str, content_type: int, session: int, now: int,
              client_id: str | None = None, send_time: int | None = None, recv_id: str | None = None,
              options: dict | None = None) -> dict:
    """The MsgData the server stores (sdkws.MsgData), ids made from the tenant's sequence.
    ``recv_id`` / ``options``, when given, stand for the request's recvID / options."""
    send_id = req["sendID"]
    if options is None:
        options = req.get("options")
    return {
        "sendID": send_id, "recvID": req.get("recvID", "") if recv_id is None else recv_id,
        "groupID": req.get("groupID", ""),
        "clientMsgID": client_id or t.next_digest(), "serverMsgID": t.next_digest(),
        "senderPlatformID": req.get("senderPlatformID", 0),
        "senderNickname": req.get("senderNickname", ""), "senderFaceURL": req.get("senderFaceURL", ""),
        "sessionType": session, "msgFrom": MSG_FROM_SYS, "contentType": content_type,
        "content": content, "sendTime": send_time if send_time else now, "createTime": now,
        "status": 0, "options": options or {},
        "offlinePushInfo": req.get("offlinePushInfo"), "atUserIDList": None, "attachedInfo": "",
        "ex": req.get("ex", "")}


def _store(t: Tenant, cid: str, data: dict, users=(), online_only: bool = False, flags: int = 0) -> Message:
    store = t.messages
    conv = _conv(t, ("online:" + cid) if online_only else cid, users)
    msg = store.append(conv, data["sendID"], data, data["sendTime"] / 1000,
                       ids=(data["serverMsgID"], data["clientMsgID"]), flags=flags)
    cb.after_send(data)     # afterSendSingleMsg / afterSendGroupMsg (§4.6), with the request's reply
    if not online_only:
        # the sender's read position becomes its own message (msg_transfer.go); what
        # store.mark(conv, sender, read_seq=msg.seq) sets, msg.seq being the conversation's last
        conv.mark_of(msg.sender)[0] = msg.seq
    return msg


def _reply(t: Tenant, data: dict | None) -> dict:
    if data is None:    # dropped by the recipient's receive option: an empty reply (2.3 step 6)
        out = {"serverMsgID": "", "clientMsgID": "", "sendTime": 0}
    else:
        out = {"serverMsgID": data["serverMsgID"], "clientMsgID": data["clientMsgID"],
               "sendTime": data["sendTime"]}
    if t.setting("send_reply_modify"):
        out["modify"] = None
    return out


def _bind_send(t: Tenant, req: dict, single_recv: bool = True) -> None:
    """send_msg's gin binding rules, in struct order (manage.go, custom_validator.go)."""
    if single_recv and req.get("sessionType") in (SINGLE, NOTIFICATION_CHAT) and not req.get("recvID"):
        raise _bind(t, "RecvID", "required_if", struct="SendMsgReq")
    if not req["sendID"]:
        raise _bind(t, "SendID")
    if req["sessionType"] in (GROUP_CHAT, READ_GROUP) and not req["groupID"]:
        raise _bind(t, "GroupID", "required_if")
    if req["content"] is None:
        raise _bind(t, "Content")
    if not req["contentType"]:
        raise _bind(t, "ContentType")
    if not req["sessionType"]:
        raise _bind(t, "SessionType")


def _prepare(t: Tenant, op: str, req: dict) -> tuple[int, int, str]:
    """Steps 2-6 of send_msg: (contentType, sessionType, stored content text)."""
    if not t.is_admin(op):
        raise _only_admin()
    ct, session = req["contentType"], req["sessionType"]
    if ct not in SENDABLE:
        raise OpenIMError(ARGS)
    if ct == OA_NOTIFICATION:
        session = NOTIFICATION_CHAT
        u = t.users.get(req["sendID"])
        if u is None:
            raise wrapped(USER_ID_NOT_FOUND)
        if u.appMangerLevel not in NOTIFICATION_ADMIN_LEVELS and u.appMangerLevel < 3:
            raise no_permission("notification messages cannot be sent for this ID")
    validate_content(t, ct, req["content"])
    text = orjson.dumps(req["content"], option=orjson.OPT_SORT_KEYS).decode()
    if ct == OA_NOTIFICATION:
        text = orjson.dumps({"detail": text}).decode()
    if (session == NOTIFICATION_CHAT) != (ct == OA_NOTIFICATION):
        raise args("notification msg must have correct session type and content type")
    if session not in (SINGLE, READ_GROUP, NOTIFICATION_CHAT):
        raise args("unknown sessionType")
    return ct, session, text


def _options(req: dict) -> dict:
    out = {}
    if req.get("isOnlineOnly"):
        out.update(history=False, persistent=False, senderSync=False, conversationUpdate=False)
    if req.get("notOfflinePush"):
        out["offlinePush"] = False
    return out


def _deliver(t: Tenant, op: str, req: dict, ct: int, session: int, text: str, now: int,
             client_id: str | None = None, slot: str | None = None) -> dict | None:
    """Session checks, the before-send webhooks, then store; None when the recipient's receive
    option drops it."""
    planned = _plan(t, req, ct, session, text, now, client_id, slot)
    if planned is None:
        return None
    _store(t, *planned)
    return planned[1]


def _plan(t: Tenant, req: dict, ct: int, session: int, text: str, now: int,
          client_id: str | None = None, slot: str | None = None):
    """Everything of a send but storing it: the checks, the message and its before hooks
    (``slot`` names the recipient when one request asks them for several). Returns the
    arguments of ``_store``, or None when the recipient's receive option drops the message."""
    send_id = req["sendID"]
    online = bool(req.get("isOnlineOnly"))
    if session == SINGLE:
        fields = {**req, "options": _options(req)}
        recv = req["recvID"]
        fields["groupID"] = ""
        admin = t.is_admin(send_id)
        data = None
        if cb.asks_single(ct, admin):     # 2.3: the send hook comes before the recipient's checks
            data = _msg_data(t, fields, text, ct, session, now, client_id, req["sendTime"])
            cb.before_send(data, admin, slot, modify=False)
        u = t.users.get(recv)
        if u is None:
            raise not_found("record not found")
        if u.globalRecvMsgOpt == 1:
            return None
        if data is None:
            data = _msg_data(t, fields, text, ct, session, now, client_id, req["sendTime"])
        cb.before_send(data, admin, slot, send=False)
        return single_id(send_id, recv), data, (send_id, recv), online
    if session == NOTIFICATION_CHAT:
        fields = {**req, "options": _options(req)}
        recv = req["recvID"]
        fields["groupID"] = ""
        data = _msg_data(t, fields, text, ct, session, now, client_id, req["sendTime"])
        return oa_id(send_id, recv), data, (send_id, recv), online
    g = t.groups.get(req["groupID"])
    if g is None:
        raise not_found("record not found")
    admin = t.is_admin(send_id)
    check_group_send(t, g, send_id, ct, now, admin)
    # _msg_data of {**req, options: _options(req), recvID: ""} without copying the request
    data = _msg_data(t, req, text, ct, session, now, client_id, req["sendTime"], "", _options(req))
    cb.before_send(data, admin, slot)
    # an imAdmin sender or a 1000-5000 contentType skipped the membership check (verify.go)
    flags = AS_ADMIN if admin or NOTIFICATION_MIN <= ct <= NOTIFICATION_MAX else 0
    return group_conv_id(g.groupID), data, (), online, flags


def check_group_send(t: Tenant, g: Group, send_id: str, ct: int, now: int,
                     admin: bool | None = None) -> None:
    """verify.go's group rules: 1204 dismissed (but 1511), 1203 non-member, 1402 muted member,
    1403 muted group (owner never muted, admins may talk in a muted group)."""
    if g.status == STATUS_DISMISSED and ct != GROUP_DISMISSED:
        raise wrapped(1204)
    if (t.is_admin(send_id) if admin is None else admin) or NOTIFICATION_MIN <= ct <= NOTIFICATION_MAX:
        return
    m = g.members.get(send_id)
    if m is None:
        raise wrapped(1203)
    if m.roleLevel == OWNER:
        return
    if m.muteEndTime >= now:
        raise wrapped(1402)
    if g.status == STATUS_MUTED and m.roleLevel != ADMIN:
        raise wrapped(1403)


def send_msg(t: Tenant, op: str, req: dict, now: int):
    _bind_send(t, req)
    ct, session, text = _prepare(t, op, req)
    return _reply(t, _deliver(t, op, req, ct, session, text, now))


SEND_STATUS_SENT = 2        # constant.MsgStatusSendSuccess (msg_status.go)
SEND_STATUS_MAX = 10_000    # operationIDs remembered per tenant (the real server keeps them in Redis
                            # with an expiry; emulator cap, oldest dropped and counted)


def record_send_status(t: Tenant, operation_id: str) -> None:
    """After a successful send_msg the API stores status 2 under the request's operationID."""
    t.send_status.pop(operation_id, None)
    t.send_status[operation_id] = SEND_STATUS_SENT
    while len(t.send_status) > SEND_STATUS_MAX:
        del t.send_status[next(iter(t.send_status))]
        t.send_status_dropped += 1


def check_msg_is_send_success(t: Tenant, operation_id: str) -> dict:
    """{"status": 2} when a send_msg with this request's operationID succeeded, else 0."""
    return {"status": t.send_status.get(operation_id, 0)}


def batch_send_msg(t: Tenant, op: str, req: dict, now: int):
    """One clientMsgID for all (2.5); each recipient's failure, a refusing or failing before
    hook included, lands in failedUserIDs (errCode 0). The server runs SendMsg per recipient,
    so beforeSendSingleMsg / beforeMsgModify are asked per recipient; every recipient is
    checked and asked first and the messages stored together after the last answer (each
    recipient's checks made again then), so nothing is stored while a hook is waited for."""
    _bind_send(t, req, single_recv=False)
    if req["recvIDs"] is None:
        raise _bind(t, "RecvIDs", struct="BatchSendMsgReq")
    ct, session, text = _prepare(t, op, req)
    recvs = list(t.users) if req["isSendAll"] else req["recvIDs"]
    client_id = t.next_digest()
    planned, failed = [], []
    cache = cb.probe_cache()     # a probe between two hook answers reuses the recipients before
    for i, recv in enumerate(recvs):
        slot = f"{i}:{recv}"
        hit = cache.get(slot) if cache is not None else None
        if hit is not None and hit[0] == t.id_seq:
            cb.cache_hit()
            t.id_seq, p = hit[1], hit[2]
        else:
            start = t.id_seq
            try:
                p = _plan(t, {**req, "recvID": recv}, ct, session, text, now, client_id, slot)
            except OpenIMError:
                p = False
            if cache is not None:
                cache[slot] = (start, t.id_seq, p)
        if p is False:
            failed.append(recv)
        else:
            planned.append((recv, p))
    cb.final()
    results = []
    for recv, p in planned:
        if p is not None:
            _store(t, *p)
        r = _reply(t, p[1] if p is not None else None)
        results.append({"serverMsgID": r["serverMsgID"], "clientMsgID": r["clientMsgID"],
                        "sendTime": r["sendTime"], "recvID": recv})
    return {"results": results, "failedUserIDs": failed}


def send_business_notification(t: Tenant, op: str, req: dict, now: int):
    """contentType 2001 pushed to online clients only: never stored, no seq (2.4)."""
    if not req["sendUserID"]:
        raise _bind(t, "SendUserID", struct="SendBusinessNotificationReq")
    if not req["recvUserID"]:
        raise _bind(t, "RecvUserID", struct="SendBusinessNotificationReq")
    if not t.is_admin(op):
        raise _only_admin()
    detail = orjson.dumps({"key": req["key"], "data": req["data"]}).decode()
    fields = {"sendID": req["sendUserID"], "recvID": req["recvUserID"], "options": {}}
    data = _msg_data(t, fields, orjson.dumps({"detail": detail}).decode(), BUSINESS_NOTIFICATION,
                     SINGLE, now)
    cid = "n_" + single_id(req["sendUserID"], req["recvUserID"])[3:]
    _store(t, cid, data, (req["sendUserID"], req["recvUserID"]), online_only=True)
    return _reply(t, data)


# --- group notifications (2.12): a copy stored in sg_<groupID>, one seq each ----------------------
GROUP_CREATED, MEMBER_QUIT, OWNER_TRANSFERRED, MEMBER_KICKED, MEMBER_INVITED = 1501, 1504, 1507, 1508, 1509
MEMBER_ENTER, GROUP_DISMISSED, MEMBER_MUTED, MEMBER_UNMUTED, GROUP_MUTED = 1510, 1511, 1512, 1513, 1514
GROUP_UNMUTED, ANNOUNCEMENT_SET, NAME_SET = 1515, 1519, 1520
GROUP_INFO_SET, MEMBER_INFO_SET, SET_TO_ADMIN, SET_TO_ORDINARY = 1502, 1516, 1517, 1518   # push-only
JOIN_APPLICATION, APPLICATION_ACCEPTED, APPLICATION_REJECTED = 1503, 1505, 1506           # single chat


def _op_user(t: Tenant, g: Group, op: str) -> dict:
    m = g.members.get(op)
    u = t.users.get(op)
    return {"groupID": g.groupID, "userID": op, "roleLevel": m.roleLevel if m else 0,
            "nickname": (m.nickname if m and m.nickname else (u.nickname if u else "")),
            "faceURL": (m.faceURL if m and m.faceURL else (u.faceURL if u else "")),
            "joinTime": m.joinTime if m else 0, "muteEndTime": m.muteEndTime if m else 0}


def _member(t: Tenant, g: Group, uid: str) -> dict:
    return _op_user(t, g, uid)


def group_notify(t: Tenant, op: str, g: Group, ct: int, now: int, send_message=None, **tips) -> None:
    """Store the copy a group API posts into ``sg_<groupID>``. ``send_message`` is the request's
    optional ``sendMessage`` (patch.16 only: False suppresses the copy, the notification is
    still pushed). A dismissed group drops all but 1511, as the normal group send path does."""
    notify(t, op, g, ct, now, send_message, tips)


def notify(t: Tenant, op: str, g: Group, ct: int, now: int, send_message, tips: dict) -> None:
    """``group_notify`` with the tips as one dict (what the group write paths call)."""
    if send_message is False and t.setting("notification_send_message_field"):
        group_push(t, op, g, ct, now, **tips)
        return
    if g.status == STATUS_DISMISSED and ct != GROUP_DISMISSED:
        return
    cid = "sg_" + g.groupID
    if _hooks.get() is not None:      # a request with webhooks: beforeSendGroupMsg may defer it
        send_note(t, cid, _group_note(t, op, g, ct, now, tips))
        return
    # No webhook context (defer_note and after_send do nothing): nothing but the store reads
    # this MsgData, so its content goes in as the bytes the store would write for the text
    store_note(t, cid, _group_note(t, op, g, ct, now, tips, _stored_text(_note_json(t, op, g, now, tips))))


def group_push(t: Tenant, op: str, g: Group, ct: int, now: int, **tips) -> None:
    """A group notification pushed without a stored copy (2.12: 1502, 1516-1518, ...): nothing
    is stored, but it goes through the group send path, so beforeSendGroupMsg and
    afterSendGroupMsg see it (4.6). Built only when one of them is on (its ids then come from
    the tenant's sequence, as a stored notification's do)."""
    if g.status == STATUS_DISMISSED or not cb.group_msg_hooks(ct):
        return
    data = _group_note(t, op, g, ct, now, tips)
    if not cb.defer_note(group_conv_id(g.groupID), data, (), push=True):
        cb.after_send(data)


def profile_changed(t: Tenant, op: str, uid: str, now: int) -> None:
    """update_user_info(_ex) with a nickname or faceURL: 1516 (push-only) in each group where
    the user's own member nickname or faceURL is empty (2.12); only hooks see it."""
    for gid in t.user_groups.get(uid, ()):
        g = t.groups[gid]
        m = g.members.get(uid)
        if m is not None and (not m.nickname or not m.faceURL):
            group_push(t, op, g, MEMBER_INFO_SET, now, changedUser=_member(t, g, uid))


def managers(g: Group) -> list[str]:
    """The owner, then the admins (getGroupOwnerAndAdminUserID)."""
    return [g.owner] + [uid for uid, m in g.members.items() if m.roleLevel == ADMIN]


def single_push(t: Tenant, op: str, recvs: list, ct: int, now: int, distinct: bool = False,
                **tips) -> None:
    """Single-chat notifications a group API pushes to each of ``recvs`` without storing them
    (2.12: 1503, 1505, 1506): only afterSendSingleMsg sees them (beforeSendSingleMsg skips
    1000-5000, 4.6); built only when that hook is on."""
    if not cb.group_msg_hooks(ct, ("afterSendSingleMsg",)):
        return
    text = orjson.dumps({"detail": orjson.dumps({"opUserID": op, **tips}).decode()}).decode()
    for recv in (dict.fromkeys(recvs) if distinct else recvs):
        if recv:
            cb.after_send(_msg_data(t, {"sendID": op, "recvID": recv, "options": {}}, text, ct, SINGLE, now))


def _note_json(t: Tenant, op: str, g: Group, now: int, tips: dict) -> bytes:
    """The notification's tips as compact JSON (the server's detail text)."""
    return orjson.dumps({"group": group_info(g), "opUser": _op_user(t, g, op), "operationTime": now, **tips})


def _note_text(body: bytes) -> str:
    """{"detail": <body as JSON text>} without the wrapping dict: one of these per group write."""
    return '{"detail":' + orjson.dumps(body.decode()).decode() + "}"


def _stored_text(body: bytes):
    """``_note_text(body)`` as a JSON string literal, the bytes the store writes for it, as an
    orjson Fragment. orjson escapes only '"', '\\' and control characters in strings (and
    writes the latter as backslash escapes), so when ``body`` holds no backslash, escaping
    twice only turns each '"' of ``body`` into backslash, backslash, backslash, '"': one
    replace instead of two escaping passes over a text full of quotes (checked against orjson
    on random bodies in tests/test_openim_note_bytes.py)."""
    if b"\\" in body:
        return orjson.Fragment(orjson.dumps(_note_text(body)))
    return orjson.Fragment(b'"{\\"detail\\":\\"' + body.replace(b'"', b'\\\\\\"') + b'\\"}"')


def _group_note(t: Tenant, op: str, g: Group, ct: int, now: int, tips: dict, content=None) -> dict:
    """The notification's MsgData; ``content`` stands for its text when given (the fast
    path's Fragment, which only the store sees)."""
    text = _note_text(_note_json(t, op, g, now, tips)) if content is None else content
    # senderNickname / senderFaceURL come from the op user's profile for 1502 and 1519 only (2.12)
    u = t.users.get(op) if ct in (ANNOUNCEMENT_SET, GROUP_INFO_SET) else None
    fields = {"sendID": op, "recvID": g.groupID, "groupID": g.groupID,
              "senderNickname": u.nickname if u else "", "senderFaceURL": u.faceURL if u else ""}
    return _msg_data(t, fields, text, ct, READ_GROUP, now)


def send_note(t: Tenant, cid: str, data: dict, users=()) -> None:
    """A server notification: a group one (sessionType 3) waits for beforeSendGroupMsg when that
    hook is on (callbacks.defer_note, asked after the request's change), others are stored now."""
    if data["sessionType"] != READ_GROUP:
        _store(t, cid, data, users)
    elif not cb.defer_note(cid, data, users):
        store_note(t, cid, data, users)     # the group send path's checks (a dismissed group drops it)


def store_note(t: Tenant, cid: str, data: dict, users=(), push: bool = False) -> None:
    """A group notification its beforeSendGroupMsg let through, stored now (or, ``push``, only
    its afterSendGroupMsg): the group send path's checks again (2.3: gone or dismissed drops all
    but 1511)."""
    g = t.groups.get(data["groupID"])
    if g is None or (g.status == STATUS_DISMISSED and data["contentType"] != GROUP_DISMISSED):
        return
    if push:
        cb.after_send(data)
    else:
        _store(t, cid, data, users, flags=AS_ADMIN)     # the server's own notification


cb.note_store = store_note


def members_left(t: Tenant, g: Group, uids) -> None:
    """Quit/kick cap the leaver's view at the group's current maxSeq (2.11); the notification is
    stored after the cap, so the leaver does not see it."""
    conv = t.messages.get(group_conv_id(g.groupID))
    top = conv.last_seq if conv is not None else 0
    for uid in uids:
        t.msg_caps[f"{uid}\x00{group_conv_id(g.groupID)}"] = top


def members_joined(t: Tenant, g: Group, uids) -> None:
    if not t.msg_caps:
        return
    for uid in uids:
        t.msg_caps.pop(f"{uid}\x00{group_conv_id(g.groupID)}", None)


# --- state ---------------------------------------------------------------------------------------
def check_messages(t: Tenant) -> list[str]:
    """Store invariants (there: no group message from a non-member at its seq unless flagged
    AS_ADMIN, which the send path sets for imAdmin senders, contentTypes 1000-5000 and group
    notifications), plus: every sg_ conversation belongs to a group, and the membership
    history's current members are the group's."""
    def members_of(cid: str):
        g = t.groups.get(cid[3:])
        return g.members if g is not None else ()
    problems = [f"messages: {p}" for p in t.messages.check(members_of)]
    for cid in t.messages.convs:
        if cid.startswith("sg_") and cid[3:] not in t.groups:
            problems.append(f"messages: {cid} belongs to no group")
    for cid in t.messages.rosters:
        if cid[3:] not in t.groups:
            problems.append(f"messages: membership history of {cid}, which is no group")
    for gid, g in t.groups.items():
        if g.members and group_conv_id(gid) not in t.messages.rosters:
            problems.append(f"messages: group {gid} has no membership history")
    for key, seqs in t.msg_hidden.items():
        conv = t.messages.get(key.partition("\x00")[2])
        if conv is None or seqs != sorted(set(seqs)) or (seqs and not conv.first_seq <= seqs[0] <= seqs[-1] <= conv.last_seq):
            problems.append(f"messages: hidden seqs of {key!r} outside their conversation")
    for key, low in t.msg_mins.items():
        conv = t.messages.get(key.partition("\x00")[2])
        if conv is None or low > conv.next_seq:
            problems.append(f"messages: minSeq of {key!r} beyond its conversation")
    if len(t.send_status) > SEND_STATUS_MAX:
        problems.append(f"messages: {len(t.send_status)} send statuses over the cap {SEND_STATUS_MAX}")
    return problems
