"""Tencent message rules on the core message store (reference tencent-messages-users-callbacks.md
§10-12). Functions of (app, validated request, operator, now) that raise TencentError or return
the reply; no aiohttp. Every check runs before the first change.

Conversations in the store: ``c2c:<a>:<b>`` (the two UserIDs sorted), ``group:<GroupId>``, and
``online:<id>`` for what is delivered but never stored in history (OnlineOnlyFlag=1 sends,
system notifications): tests see those through /_emulator/messages, history APIs do not.
A stored message's body is the request's own message fields (MsgBody, CloudCustomData,
OfflinePushInfo, SendMsgControl, ForbidCallbackControl, ...), kept as sent; its ids are
(MsgSeq, MsgRandom) for one-to-one and (Random,) for group messages.
"""

from __future__ import annotations

import zlib

import orjson

from emulator.core.messages import (AS_ADMIN, DELETED, IMPORTED, NO_UNREAD, PROVIDER_FLAG, RECALLED,
                                    Conversation, Message, MessageStore)

from .errors import TencentError
from .models import DEFAULT_MESSAGE_SETTINGS, App, Group

# --- documented limits (§10-12) ----------------------------------------------------------------
BATCH_TARGETS = 500                # §10.2 batchsendmsg To_Account <= 500 -> 90011
C2C_DEDUP_S = 120                  # §10.1 sendmsg de-duplication window (CN 2026)
GROUP_DEDUP_S = 300                # §12.2 send_group_msg: same Random (and content) within 5 min
ROAM_PAGE_BYTES = 13 * 1024        # §10.6 admin_getroammsg: a page stops at 13 KB
UNREAD_PEERS = 10                  # §10.5 get_c2c_unread_msg_num Peer_Account <= 10
TARGETED_MAX = 50                  # §12.2 To_Account <= 50 receivers
GROUP_AT_MAX = 30                  # §12.2 more than 30 @ -> 10053
IMPORT_GROUP_MAX = 7               # §12.4 import_group_msg <= 7 messages per call
GET_SIMPLE_MAX = 20                # §12.5 <= 20 messages returned per call
RECALL_MAX = 10                    # §12.6 MsgSeqList <= 10
DELETE_BY_SENDER_SCOPE = 1000      # §12.7 the sender's messages among the latest 1000
SYSTEM_TARGETS = 50                # §12.3 ToMembers_Account <= 50 (trtc.io zh 2025)
PRIORITY = {"High": 1, "Normal": 2, "Low": 3, "Lowest": 4}   # §12.5 get_simple MsgPriority

# Provider flag bits
HIDDEN_FROM_SENDER = PROVIDER_FLAG        # SyncOtherMachine=2: not in the sender's roaming
SYSTEM = PROVIDER_FLAG << 1               # send_group_system_notification
ONLINE = PROVIDER_FLAG << 2               # AVChatRoom / OnlineOnlyFlag: delivered, no history

# Element types and their MsgContent fields: name -> (json types, required for REST sends) (§11.1)
_STR, _NUM = (str,), (int, float)
ELEMENTS = {
    "TIMTextElem": {"Text": (_STR, True)},
    "TIMLocationElem": {"Desc": (_STR, False), "Latitude": (_NUM, True), "Longitude": (_NUM, True)},
    "TIMFaceElem": {"Index": (_NUM, True), "Data": (_STR, False)},
    "TIMCustomElem": {"Data": (_STR, False), "Desc": (_STR, False), "Ext": (_STR, False),
                      "Sound": (_STR, False)},
    "TIMSoundElem": {"Url": (_STR, True), "UUID": (_STR, True), "Size": (_NUM, False),
                     "Second": (_NUM, False), "Download_Flag": (_NUM, True)},
    "TIMImageElem": {"UUID": (_STR, True), "ImageFormat": (_NUM, False), "ImageInfoArray": ((list,), True)},
    "TIMFileElem": {"Url": (_STR, True), "UUID": (_STR, True), "FileSize": (_NUM, False),
                    "FileName": (_STR, False), "Download_Flag": (_NUM, True)},
    "TIMVideoFileElem": {"VideoUrl": (_STR, True), "VideoUUID": (_STR, True), "VideoSize": (_NUM, False),
                         "VideoSecond": (_NUM, False), "VideoFormat": (_STR, False),
                         "VideoDownloadFlag": (_NUM, True), "ThumbUrl": (_STR, True),
                         "ThumbUUID": (_STR, True), "ThumbSize": (_NUM, False), "ThumbWidth": (_NUM, True),
                         "ThumbHeight": (_NUM, True), "ThumbFormat": (_STR, False),
                         "ThumbDownloadFlag": (_NUM, True)},
}
DOWNLOAD_FLAGS = ("Download_Flag", "VideoDownloadFlag", "ThumbDownloadFlag")   # must be 2 (§11.1)
IMAGE_INFO = {"URL": (_STR, True), "Width": (_NUM, True), "Height": (_NUM, True), "Type": (_NUM, False),
              "Size": (_NUM, False)}


def settings(app: App) -> dict:
    return app.message_settings


def _typed(value, types) -> bool:
    return isinstance(value, types) and not isinstance(value, bool)


def _fields(content: dict, spec: dict, where: str) -> str | None:
    for name, (types, required) in spec.items():
        if name not in content:
            if required:
                return f"{where}.{name} is required"
        elif not _typed(content[name], types):
            return f"{where}.{name} has the wrong type"
    return None


def check_msg_body(app: App, body, malformed: int, mismatch: int, too_long: int = 80002) -> bytes:
    """MsgBody (§11): a non-empty array of {MsgType, MsgContent} of the eight documented types,
    at most one TIMCustomElem, each MsgContent with its documented fields (REST shapes), and the
    whole MsgBody (compact JSON, UTF-8) within the tenant's max_msg_bytes (12 KB). Returns that
    JSON (the de-duplication key's CRC32 is taken over it)."""
    if type(body) is list and len(body) == 1:     # the common send: one text element
        elem = body[0]
        if type(elem) is dict and elem.get("MsgType") == "TIMTextElem":
            content = elem.get("MsgContent")
            # only Text (a str): what the full check asks of a text element, nothing else to check
            if type(content) is dict and len(content) == 1 and type(content.get("Text")) is str:
                raw = orjson.dumps(body)
                if len(raw) <= settings(app)["max_msg_bytes"]:
                    return raw
    if not isinstance(body, list) or not body:
        raise TencentError(malformed, "MsgBody must be a non-empty array")
    customs = 0
    for i, elem in enumerate(body):
        where = f"MsgBody[{i}]"
        if not isinstance(elem, dict) or not isinstance(elem.get("MsgContent"), dict):
            raise TencentError(malformed, f"{where} needs MsgType and a MsgContent object")
        spec = ELEMENTS.get(elem.get("MsgType"))
        if spec is None:
            raise TencentError(malformed, f"{where}.MsgType {elem.get('MsgType')!r} is not a message type")
        content = elem["MsgContent"]
        problem = _fields(content, spec, f"{where}.MsgContent")
        if problem is None:
            for flag in DOWNLOAD_FLAGS:
                if flag in content and content[flag] != 2:
                    problem = f"{where}.MsgContent.{flag} must be 2"
        if problem is None and elem["MsgType"] == "TIMImageElem":
            infos = content["ImageInfoArray"]
            if not infos:
                problem = f"{where}.MsgContent.ImageInfoArray is empty"
            for j, info in enumerate(infos):
                problem = problem or (f"{where}.MsgContent.ImageInfoArray[{j}] must be an object"
                                      if not isinstance(info, dict) else
                                      _fields(info, IMAGE_INFO, f"{where}.MsgContent.ImageInfoArray[{j}]"))
        if problem is not None:
            raise TencentError(mismatch, problem)
        if elem["MsgType"] == "TIMCustomElem":
            customs += 1
    if customs > 1:
        raise TencentError(mismatch, "at most one TIMCustomElem per message")
    raw = orjson.dumps(body)
    if len(raw) > settings(app)["max_msg_bytes"]:
        raise TencentError(too_long, f"MsgBody is {len(raw)} bytes, over {settings(app)['max_msg_bytes']}")
    return raw


def _stored_body(data: dict, skip: tuple) -> dict:
    """The message's own fields of a request, kept as sent (routing fields go elsewhere)."""
    return {k: v for k, v in data.items() if k not in skip}


def msg_key(seq: int, random: int, time: float) -> str:
    """MsgKey = <MsgSeq>_<MsgRandom>_<MsgTime> (§10.1, inferred from samples)."""
    return f"{seq}_{random}_{int(time)}"


def msg_id(sender: str, time: float, random: int) -> str:
    """MsgId for REST sends (format UNKNOWN): client style <tinyid>-<time>-<random>, the tinyid
    derived from the sender's UserID so replays give the same id."""
    return f"{144115200000000000 + zlib.crc32(sender.encode())}-{int(time)}-{random}"


# --- one-to-one ------------------------------------------------------------------------------------
def c2c_id(a: str, b: str) -> str:
    return "c2c:" + ":".join(sorted((a, b)))


def _c2c(app: App, a: str, b: str) -> Conversation:
    return app.messages.conversation(c2c_id(a, b), "c2c", sorted((a, b)))


def _c2c_key(cid: str, key: str) -> str:
    return f"{cid}|{key}"


def _sender(app: App, data: dict, caller: str, code: int) -> str:
    sender = data.get("From_Account") or caller
    if sender not in app.accounts:
        raise TencentError(code, f"From_Account {sender} does not exist")
    return sender


def _c2c_flags(data: dict) -> int:
    control = data.get("SendMsgControl") or ()
    flags = NO_UNREAD if "NoUnread" in control else 0
    if data.get("SyncOtherMachine") == 2:
        flags |= HIDDEN_FROM_SENDER
    return flags


C2C_ROUTING = ("From_Account", "To_Account", "MsgSeq", "MsgRandom", "MsgTimeStamp", "SyncFromOldSystem")


def _c2c_store(app: App, sender: str, to: str, data: dict, seq_given, random: int, time: float,
               flags: int, counts: bool) -> Message:
    store = app.messages
    conv = _c2c(app, sender, to)
    seq = seq_given if seq_given is not None else conv.next_seq   # UNKNOWN: server's choice
    key = _c2c_key(conv.id, msg_key(seq, random, time))
    return store.append(conv, sender, _stored_body(data, C2C_ROUTING), time, ids=(seq, random),
                        key=key, flags=flags if counts else flags | NO_UNREAD,
                        unread_for=(to,) if counts and sender != to else ())


def _c2c_ids(msg: Message) -> tuple[int, int]:
    """(MsgSeq, MsgRandom) of a one-to-one message; a seeded one may carry none."""
    ids = msg.ids
    return (ids[0] if len(ids) > 0 else msg.seq), (ids[1] if len(ids) > 1 else 0)


def _fields_of(msg: Message) -> dict:
    body = msg.content()
    return body if isinstance(body, dict) else {}


def _c2c_reply(msg: Message) -> dict:
    seq, random = _c2c_ids(msg)
    return {"MsgTime": int(msg.time), "MsgKey": msg_key(seq, random, msg.time),
            "MsgId": msg_id(msg.sender, msg.time, random)}


def sendmsg(app: App, data: dict, caller: str, now: float) -> dict:
    """openim/sendmsg (§10.1): To_Account imported (90012), From_Account exists (90008),
    MsgLifeTime <= 7 days (90026), MsgBody (90002/90010/80002); no friendship or mute checks.
    A repeat of (sender, MsgSeq, MsgRandom, MsgBody) within 120 s answers the first message's
    MsgKey and stores nothing (the duplicate's reply is UNKNOWN)."""
    sender = _sender(app, data, caller, 90008)
    to = data["To_Account"]
    if to not in app.accounts:
        raise TencentError(90012, f"To_Account {to} not imported")
    if data.get("MsgLifeTime", 0) > 604800:
        raise TencentError(90026, "MsgLifeTime is at most 604800 seconds (7 days)")
    raw = check_msg_body(app, data["MsgBody"], 90002, 90010)
    time = float(int(now))
    store = app.messages
    dkey = None
    if "MsgSeq" in data:
        crc = zlib.crc32(raw)
        dkey = f"c2c|{sender}|{data['MsgSeq']}|{data['MsgRandom']}|{crc}"
        first = store.duplicate(dkey, now, C2C_DEDUP_S)
        if first is not None:
            return _c2c_reply(first)
    if data.get("OnlineOnlyFlag") == 1:
        conv = store.conversation("online:" + c2c_id(sender, to), "online", sorted((sender, to)))
        seq = data.get("MsgSeq", conv.next_seq)
        msg = store.append(conv, sender, _stored_body(data, C2C_ROUTING), time, ids=(seq, data["MsgRandom"]),
                           to=(to,), flags=ONLINE | NO_UNREAD)
    else:
        control = data.get("SendMsgControl") or ()
        msg = _c2c_store(app, sender, to, data, data.get("MsgSeq"), data["MsgRandom"], time,
                         _c2c_flags(data), "NoUnread" not in control)
    if dkey is not None:
        store.remember(dkey, msg, C2C_DEDUP_S)
    return _c2c_reply(msg)


def batchsendmsg(app: App, data: dict, caller: str, now: float) -> dict:
    """openim/batchsendmsg (§10.2): 1..500 targets (90029 empty, 90011 over), one MsgKey for all,
    targets not imported listed in ErrorList with 70107, MsgBody over 12 KB -> 90055."""
    targets = data["To_Account"]
    if not targets:
        raise TencentError(90029, "To_Account is empty")
    if len(targets) > BATCH_TARGETS:
        raise TencentError(90011, f"at most {BATCH_TARGETS} To_Account, got {len(targets)}")
    sender = _sender(app, data, caller, 90008)
    if data.get("MsgLifeTime", 0) > 604800:
        raise TencentError(90026, "MsgLifeTime is at most 604800 seconds (7 days)")
    check_msg_body(app, data["MsgBody"], 90002, 90010, too_long=90055)
    time = float(int(now))
    errors: list[dict] = []
    control = data.get("SendMsgControl") or ()
    seq = data.get("MsgSeq")
    for to in dict.fromkeys(targets):
        if to not in app.accounts:
            errors.append({"To_Account": to, "ErrorCode": 70107})
            continue
        if seq is None:     # one MsgKey for all recipients: the first conversation picks the seq
            seq = _c2c(app, sender, to).next_seq
        if data.get("OnlineOnlyFlag") == 1:
            conv = app.messages.conversation("online:" + c2c_id(sender, to), "online", sorted((sender, to)))
            app.messages.append(conv, sender, _stored_body(data, C2C_ROUTING), time,
                                ids=(seq, data["MsgRandom"]), to=(to,), flags=ONLINE | NO_UNREAD)
        else:
            _c2c_store(app, sender, to, data, seq, data["MsgRandom"], time, _c2c_flags(data),
                       "NoUnread" not in control)
    reply = {"MsgKey": msg_key(seq or 0, data["MsgRandom"], time),
             "MsgId": msg_id(sender, time, data["MsgRandom"])}
    if errors:
        reply["ErrorList"] = errors
    return reply


IMPORT_COUNTS = {1: True, 5: True, 2: False}    # §10.3 SyncFromOldSystem (see README)


def importmsg(app: App, data: dict, caller: str, now: float) -> dict:
    """openim/importmsg (§10.3): SyncFromOldSystem 2 (history, no unread) or 1/5 (live, counts
    unread), else 90030; both accounts must exist; a message with the same MsgSeq, MsgRandom and
    MsgTimeStamp in the conversation (either direction) is a duplicate and never overwrites."""
    mode = data["SyncFromOldSystem"]
    if mode not in IMPORT_COUNTS:
        raise TencentError(90030, "SyncFromOldSystem must be 1, 2 or 5")
    sender, to = data["From_Account"], data["To_Account"]
    if sender not in app.accounts:
        raise TencentError(90008, f"From_Account {sender} does not exist")
    if to not in app.accounts:
        raise TencentError(90012, f"To_Account {to} not imported")
    check_msg_body(app, data["MsgBody"], 90002, 90010)
    time = float(data["MsgTimeStamp"])
    key = _c2c_key(c2c_id(sender, to), msg_key(data["MsgSeq"], data["MsgRandom"], time))
    if app.messages.find(key) is None:
        _c2c_store(app, sender, to, data, data["MsgSeq"], data["MsgRandom"], time, IMPORTED,
                   IMPORT_COUNTS[mode])
    return {}


def _account(app: App, name, code: int) -> str:
    if not name or name not in app.accounts:
        raise TencentError(code, f"account {name or ''} does not exist")
    return name


def admin_msgwithdraw(app: App, data: dict) -> dict:
    """openim/admin_msgwithdraw (§10.4): any C2C message, no time limit; unknown MsgKey -> 90054,
    already recalled -> 20023 (which code REST returns is UNKNOWN)."""
    sender = _account(app, data["From_Account"], 90008)
    to = _account(app, data["To_Account"], 90003)
    msg = app.messages.find(_c2c_key(c2c_id(sender, to), data["MsgKey"]))
    if msg is None or msg.sender != sender:
        raise TencentError(90054, f"no message {data['MsgKey']} from {sender} to {to}")
    if msg.flags & RECALLED:
        raise TencentError(20023, "the message has already been recalled")
    msg.flags |= RECALLED
    return {}


def admin_set_msg_read(app: App, data: dict, now: float) -> dict:
    """openim/admin_set_msg_read (§10.5): Report_Account has read Peer_Account's messages up to
    MsgReadTime (default now); its unread count in that conversation becomes the counted messages
    after that time."""
    reader = _account(app, data["Report_Account"], 90008)
    peer = _account(app, data["Peer_Account"], 90003)
    until = data.get("MsgReadTime", int(now))
    conv = _c2c(app, reader, peer)
    read_seq, unread = conv.last_seq, 0
    for msg in conv.newest():
        if msg.time <= until:
            break
        read_seq = msg.seq - 1
        if msg.sender != reader and not msg.flags & NO_UNREAD:
            unread += 1
    app.messages.mark(conv, reader, read_seq=read_seq, unread=unread)
    return {}


def get_c2c_unread_msg_num(app: App, data: dict) -> dict:
    """openim/get_c2c_unread_msg_num (§10.5): AllC2CUnreadMsgNum, and per Peer_Account (<= 10)
    C2CUnreadMsgNumList with peers not imported in ErrorList (70107)."""
    user = _account(app, data["To_Account"], 90003)
    store = app.messages
    total = sum(store.unread(c, user) for c in store.of_user(user) if c.kind == "c2c")
    peers = data.get("Peer_Account")
    if peers is None:
        return {"AllC2CUnreadMsgNum": total}
    if len(peers) > UNREAD_PEERS:
        raise TencentError(90001, f"at most {UNREAD_PEERS} Peer_Account, got {len(peers)}")
    found, errors = [], []
    for peer in peers:
        if peer not in app.accounts:
            errors.append({"Peer_Account": peer, "ErrorCode": 70107})
            continue
        conv = store.get(c2c_id(user, peer))
        found.append({"Peer_Account": peer, "C2CUnreadMsgNum": store.unread(conv, user) if conv else 0})
    reply = {"AllC2CUnreadMsgNum": total, "C2CUnreadMsgNumList": found}
    if errors:
        reply["ErrorList"] = errors
    return reply


def _roam_item(msg: Message, conv: Conversation) -> dict:
    body = _fields_of(msg)
    peer = next((u for u in conv.users if u != msg.sender), msg.sender)
    mark = conv.marks.get(peer)
    seq, random = _c2c_ids(msg)
    item = {"From_Account": msg.sender, "To_Account": peer, "MsgSeq": seq, "MsgRandom": random,
            "MsgTimeStamp": int(msg.time), "MsgFlagBits": 8 if msg.flags & RECALLED else 0,
            "IsPeerRead": 1 if mark is not None and mark[0] >= msg.seq else 0,
            "MsgKey": msg_key(seq, random, msg.time), "MsgBody": body.get("MsgBody", []),
            "CloudCustomData": body.get("CloudCustomData", "")}
    return item


def admin_getroammsg(app: App, data: dict) -> dict:
    """openim/admin_getroammsg (§10.6): Operator_Account's view of the conversation with
    Peer_Account between MinTime and MaxTime; newest page first, a page stops at MaxCnt messages or
    13 KB; continue with MaxTime = LastMsgTime and LastMsgKey. Recalled messages are included with
    MsgFlagBits 8; SyncOtherMachine=2 messages are not in the sender's view."""
    op = _account(app, data.get("Operator_Account") or data.get("From_Account"), 90008)
    peer = _account(app, data.get("Peer_Account") or data.get("To_Account"), 90003)
    lo, hi = data["MinTime"], data["MaxTime"]
    if lo > hi:
        raise TencentError(90001, "MinTime is after MaxTime")
    conv = app.messages.get(c2c_id(op, peer))
    page: list[dict] = []
    size, complete = 0, 1
    skipping = bool(data.get("LastMsgKey"))
    for msg in (conv.newest() if conv is not None else ()):
        if msg.time > hi:
            continue
        if msg.time < lo:
            break
        if msg.sender == op and msg.flags & HIDDEN_FROM_SENDER:
            continue
        if skipping:
            if msg_key(*_c2c_ids(msg), msg.time) == data["LastMsgKey"]:
                skipping = False
            continue
        item = _roam_item(msg, conv)
        cost = len(orjson.dumps(item))
        if len(page) >= data["MaxCnt"] or (page and size + cost > ROAM_PAGE_BYTES):
            complete = 0
            break
        page.append(item)
        size += cost
    page.reverse()        # inside a page: oldest first (samples; inferred)
    reply = {"Complete": complete, "MsgCnt": len(page), "LastMsgTime": page[0]["MsgTimeStamp"] if page else 0,
             "LastMsgKey": page[0]["MsgKey"] if page else "", "MsgList": page}
    return reply


# --- groups -------------------------------------------------------------------------------------
def group_id(gid: str) -> str:
    return "group:" + gid


def group_conv(app: App, g: Group) -> Conversation:
    """The group's log; a group seeded with NextMsgSeq > 1 and no stored history starts there."""
    return app.messages.conversation(group_id(g.GroupId), "group", (), g.NextMsgSeq)


GROUP_ROUTING = ("GroupId", "From_Account", "Random", "To_Account", "OnlineOnlyFlag")


def _check_sender(app: App, g: Group, sender: str | None, now: float) -> None:
    """Group rules on a REST sender (§12.2): the app admin (no From_Account) is never refused;
    a From_Account must exist (10019), be a member (10007, tenant setting), not be muted (10017)
    and, with MuteAllMember On, be the owner or an admin (tenant setting)."""
    if sender is None or g.Type == "AVChatRoom":
        if sender is not None and sender not in app.accounts:
            raise TencentError(10019, f"account {sender} not imported")
        return
    if sender not in app.accounts:
        raise TencentError(10019, f"account {sender} not imported")
    m = g.members.get(sender)
    if m is None:
        if settings(app)["group_non_member_send"] == "reject":
            raise TencentError(10007, f"{sender} is not a member of the group")
        return
    if g.muted.get(sender, 0) > now:
        raise TencentError(10017, f"{sender} is muted in this group")
    if g.MuteAllMember == "On":
        rule = settings(app)["mute_all_blocks"]
        if rule == "everyone" or (rule == "members" and m.Role == "Member"):
            raise TencentError(10017, "the whole group is muted")


def send_group_msg(app: App, data: dict, caller: str, now: float) -> dict:
    """send_group_msg (§12.2): all five group types; at most 40 sends per group and second (10023,
    tenant setting group_msg_per_second); MsgBody checked (10004, 80002); To_Account
    <= 50 and not for AVChatRoom/Community; GroupAtInfo <= 30 (10053); a repeat of Random with
    the same MsgBody within 5 minutes answers the first message and stores nothing.
    Stored at the group's next seq (AVChatRoom: delivered, flagged ONLINE, never in history);
    OnlineOnlyFlag=1: delivered only (MsgSeq 0). Members other than the sender gain one unread
    unless NoUnread, OnlineOnlyFlag or To_Account."""
    g = app.group(data["GroupId"])
    sender = data.get("From_Account") or None
    _check_sender(app, g, sender, now)
    raw = check_msg_body(app, data["MsgBody"], 10004, 10004)
    targets = data.get("To_Account")
    if targets is not None:
        if g.Type in ("AVChatRoom", "Community"):
            raise TencentError(10007, f"targeted messages are not supported by {g.Type}")
        if not targets or len(targets) > TARGETED_MAX:
            raise TencentError(10004, f"To_Account holds 1 to {TARGETED_MAX} members")
    if len(data.get("GroupAtInfo") or ()) > GROUP_AT_MAX:
        raise TencentError(10053, f"at most {GROUP_AT_MAX} @ per message")
    who = sender or caller
    store = app.messages
    second, sends = app.group_send_window.get(g.GroupId, (None, 0))
    limit = settings(app)["group_msg_per_second"]
    if second != int(now):
        sends = 0
    if limit and sends >= limit:
        raise TencentError(10023, f"more than {limit} messages per second in this group")
    app.group_send_window[g.GroupId] = (int(now), sends + 1)
    crc = zlib.crc32(raw)
    dkey = f"group|{g.GroupId}|{data['Random']}|{crc}"
    first = store.duplicate(dkey, now, GROUP_DEDUP_S)
    if first is not None:
        return {"MsgTime": int(first.time), "MsgSeq": first.seq if first.conv.kind == "group" else 0,
                "MsgDropReason": ""}
    time = float(int(now))
    body = _stored_body(data, GROUP_ROUTING)
    if data.get("OnlineOnlyFlag") == 1 and g.Type != "AVChatRoom":
        conv = store.conversation("online:" + group_id(g.GroupId), "online", ())
        msg = store.append(conv, who, body, time, ids=(data["Random"],), to=targets, flags=ONLINE | NO_UNREAD)
        store.remember(dkey, msg, GROUP_DEDUP_S)
        return {"MsgTime": int(time), "MsgSeq": 0, "MsgDropReason": ""}
    conv = group_conv(app, g)
    counts = g.Type != "AVChatRoom" and targets is None and "NoUnread" not in (data.get("SendMsgControl") or ())
    flags = (ONLINE if g.Type == "AVChatRoom" else 0) | (0 if counts else NO_UNREAD)
    if who not in g.members:    # _check_sender let it through: the app admin (no From_Account),
        flags |= AS_ADMIN       # an AVChatRoom sender, or group_non_member_send "allow"
    msg = store.append(conv, who, body, time, ids=(data["Random"],), to=targets, flags=flags)
    store.remember(dkey, msg, GROUP_DEDUP_S)
    g.NextMsgSeq = conv.next_seq
    g.LastMsgTime = int(time)
    m = g.members.get(who)
    if m is not None:
        m.LastSendMsgTime = int(time)
        m.MsgSeq = msg.seq
        g.members_changed()   # both are in get_group_info's member rows
    if counts:      # every member but the sender: all, then the sender's own back
        for member in g.members.values():
            member.UnreadMsgNum += 1
        if m is not None:
            m.UnreadMsgNum -= 1
    return {"MsgTime": int(time), "MsgSeq": msg.seq, "MsgDropReason": ""}


def send_group_system_notification(app: App, data: dict, caller: str, now: float) -> dict:
    """send_group_system_notification (§12.3): online only, never in history; ToMembers_Account
    absent/empty = everyone, <= 50, not for AVChatRoom (10007); recorded as delivered to the
    listed members (non-members are skipped)."""
    g = app.group(data["GroupId"])
    targets = data.get("ToMembers_Account") or None
    if targets is not None:
        if g.Type == "AVChatRoom":
            raise TencentError(10007, "AVChatRoom system notifications go to the whole group")
        if len(targets) > SYSTEM_TARGETS:
            raise TencentError(10004, f"at most {SYSTEM_TARGETS} ToMembers_Account")
        targets = [a for a in dict.fromkeys(targets) if a in g.members]
    store = app.messages
    conv = store.conversation("online:" + group_id(g.GroupId), "online", ())
    store.append(conv, caller, {"Content": data["Content"]}, float(int(now)), to=targets,
                 flags=SYSTEM | ONLINE | NO_UNREAD | AS_ADMIN)
    return {}


def import_group_msg(app: App, data: dict, now: float) -> dict:
    """import_group_msg (§12.4): not AVChatRoom (10007), <= 7 messages (10004); each SendTime in
    (CreateTime, now) and after the previous one and the group's last message, else that item's
    Result is 10004 (80002 when too long); afterwards every member's unread count is 0."""
    g = app.group(data["GroupId"])
    if g.Type == "AVChatRoom":
        raise TencentError(10007, "import_group_msg does not support AVChatRoom")
    items = data["MsgList"]
    if not items:
        raise TencentError(10004, "MsgList is empty")
    if len(items) > IMPORT_GROUP_MAX:
        raise TencentError(10004, f"at most {IMPORT_GROUP_MAX} messages per import")
    plan, last = [], g.LastMsgTime
    for item in items:
        result = 0
        if item["From_Account"] not in app.accounts:
            result = 10004
        elif not g.CreateTime < item["SendTime"] < now or item["SendTime"] <= last:
            result = 10004
        else:
            try:
                check_msg_body(app, item["MsgBody"], 10004, 10004)
            except TencentError as err:
                result = err.code
        if result == 0:
            last = item["SendTime"]
        plan.append((item, result))
    conv = group_conv(app, g)
    out = []
    for item, result in plan:
        if result:
            out.append({"MsgSeq": 0, "MsgTime": item["SendTime"], "Result": result})
            continue
        body = _stored_body(item, ("From_Account", "SendTime", "Random"))
        msg = app.messages.append(conv, item["From_Account"], body, float(item["SendTime"]),
                                  ids=(item.get("Random", 0),), flags=IMPORTED | NO_UNREAD)
        g.NextMsgSeq = conv.next_seq
        g.LastMsgTime = item["SendTime"]
        out.append({"MsgSeq": msg.seq, "MsgTime": item["SendTime"], "Result": 0})
    if any(r == 0 for _, r in plan):
        for member in g.members.values():
            member.UnreadMsgNum = 0
    return {"ImportMsgResult": out}


def _get_simple_item(msg: Message) -> dict:
    placeholder = 2 if msg.flags & RECALLED else 1 if msg.flags & DELETED else 0
    body = _fields_of(msg)
    return {"From_Account": msg.sender, "IsPlaceMsg": placeholder,
            "MsgBody": [] if placeholder == 1 else body.get("MsgBody", []),
            "IsSystemMsg": 0, "MsgPriority": PRIORITY.get(body.get("MsgPriority", "Normal"), 2),
            "MsgRandom": msg.ids[0] if msg.ids else 0, "MsgSeq": msg.seq,
            "MsgTimeStamp": int(msg.time), "MsgKey": msg_key(msg.seq, msg.ids[0] if msg.ids else 0, msg.time)}


def group_msg_get_simple(app: App, data: dict) -> dict:
    """group_msg_get_simple (§12.5): up to min(ReqMsgNumber, 20) messages with seq <= ReqMsgSeq
    (default: newest), newest first; recalled ones only with WithRecalledMsg=1 (IsPlaceMsg 2),
    deleted ones as IsPlaceMsg 1 with an empty MsgBody. AVChatRoom keeps no history (10007,
    tenant setting). IsFinished 1 when nothing older is left, else 0."""
    g = app.group(data["GroupId"])
    if g.Type == "AVChatRoom":
        raise TencentError(settings(app)["avchatroom_history_code"], "AVChatRoom keeps no message history")
    want = min(data["ReqMsgNumber"], GET_SIMPLE_MAX)
    conv = app.messages.get(group_id(g.GroupId))
    out, finished = [], 1
    for msg in (conv.newest(data.get("ReqMsgSeq")) if conv is not None else ()):
        if msg.flags & RECALLED and not data.get("WithRecalledMsg"):
            continue
        if len(out) >= want:
            finished = 0
            break
        out.append(_get_simple_item(msg))
    return {"GroupId": g.GroupId, "IsFinished": finished, "RspMsgList": out}


def group_msg_recall(app: App, data: dict) -> dict:
    """group_msg_recall (§12.6): <= 10 seqs (10004), no time limit; per item RetCode 0, or 10030
    when the message does not exist or is already recalled."""
    g = app.group(data["GroupId"])
    items = data["MsgSeqList"]
    if not items:
        raise TencentError(10004, "MsgSeqList is empty")
    if len(items) > RECALL_MAX:
        raise TencentError(10004, f"at most {RECALL_MAX} messages per recall")
    conv = app.messages.get(group_id(g.GroupId))
    out = []
    for item in items:
        seq = item["MsgSeq"]
        msg = conv.at(seq) if conv is not None else None
        if msg is None or msg.flags & RECALLED:
            out.append({"MsgSeq": seq, "RetCode": 10030})
            continue
        msg.flags |= RECALLED
        random = msg.ids[0] if msg.ids else 0
        # MsgId is for Group.CallbackAfterRecallMsg only; h_group_msg_recall takes it out of the reply
        out.append({"MsgSeq": seq, "RetCode": 0, "MsgKey": msg_key(seq, random, msg.time),
                    "MsgId": msg_id(msg.sender, msg.time, random)})
    return {"RecallRetList": out}


def delete_group_msg_by_sender(app: App, data: dict) -> dict:
    """delete_group_msg_by_sender (§12.7): the sender's messages among the latest 1000 are marked
    deleted (silent; history shows them as IsPlaceMsg 1). AVChatRoom: no effect, no error."""
    g = app.group(data["GroupId"])
    if data["Sender_Account"] not in app.accounts:
        raise TencentError(10019, f"account {data['Sender_Account']} not imported")
    if g.Type == "AVChatRoom":
        return {}
    conv = app.messages.get(group_id(g.GroupId))
    if conv is not None:
        for i, msg in enumerate(conv.newest()):
            if i >= DELETE_BY_SENDER_SCOPE:
                break
            if msg.sender == data["Sender_Account"]:
                msg.flags |= DELETED
    return {}


# --- store <-> app ---------------------------------------------------------------------------------
def check_messages(app: App) -> list[str]:
    """Store invariants plus the group counters that mirror it: NextMsgSeq = the log's next seq,
    unread counts within the group's message count; membership: no message from a non-member
    (core), every group has a history and a dropped group keeps none."""
    store = app.messages

    def members_of(cid: str):
        g = app.groups.get(cid[6:])
        return g.members if g is not None else ()
    problems = [f"messages: {p}" for p in store.check(members_of)]
    for cid in store.rosters:
        if cid[6:] not in app.groups:
            problems.append(f"messages: membership history of {cid}, which is no group")
    for gid in app.groups:
        if group_id(gid) not in store.rosters:
            problems.append(f"messages: group {gid} has no membership history")
    for gid, g in app.groups.items():
        conv = app.messages.get(group_id(gid))
        if conv is not None and conv.next_seq != g.NextMsgSeq:
            problems.append(f"group {gid}: NextMsgSeq {g.NextMsgSeq} but the log's next seq is {conv.next_seq}")
        for account, m in g.members.items():
            if m.UnreadMsgNum > g.NextMsgSeq - 1:
                problems.append(f"group {gid}: {account} has {m.UnreadMsgNum} unread of {g.NextMsgSeq - 1}")
    return problems


def seed_messages(app: App, spec: dict | None) -> MessageStore:
    """The store of a scenario/dump section (core StoreSpec shape); group logs fix NextMsgSeq,
    and a seeded member UnreadMsgNum is clamped to the group's message count (as on import)."""
    store = MessageStore.from_json(spec)
    for gid, g in app.groups.items():
        conv = store.get(group_id(gid))
        if conv is not None:
            g.NextMsgSeq = conv.next_seq
        store.adopt(group_id(gid), g.NextMsgSeq)     # no history in the spec: members from now
        for m in g.members.values():
            m.UnreadMsgNum = min(m.UnreadMsgNum, g.NextMsgSeq - 1)
    return store


__all__ = ["DEFAULT_MESSAGE_SETTINGS", "check_messages", "seed_messages"]
