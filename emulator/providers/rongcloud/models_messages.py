"""RongCloud messages on the core store (reference users-messages-callbacks 2.1-2.10). No aiohttp.

Conversations: ``private:<a>:<b>`` (the two userIds sorted), ``group:<groupId>``,
``system:<from>:<to>`` and, for recall commands into them, ``chatroom:<id>`` /
``ultragroup:<id>``. What is delivered but not kept in cloud history (``isPersisted`` 0, directed
group messages) goes to ``online:<conversation>``. A stored body is what the app sent, in its own
words: ``{fromUserId, toUserId|toGroupId, objectName, content, pushContent, ...}``; ids are
``(messageUID,)``; the message's key is its messageUID, so recall finds it in O(1).

Which group rules apply to Server API sends follows the reference (2.4): the sender need not be a
member, whole-group mutes do not apply, and a group that does not exist is answered 200. Per-member
gags and sends to unknown groups are UNKNOWN: tenant settings (AppSettings).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import orjson

from emulator.core.messages import AS_ADMIN, DELETED, RECALLED

from .errors import RongCloudError
from .models import Tenant
from .models_users import BLOCKED, DEACTIVATED, _digest, dashed_id

PRIVATE, GROUP, CHATROOM, SYSTEM, ULTRAGROUP = 1, 3, 4, 6, 10     # conversationType (recall)
KIND = {PRIVATE: "private", GROUP: "group", CHATROOM: "chatroom", SYSTEM: "system", ULTRAGROUP: "ultragroup"}
RECALL_COMMAND = "RC:RcCmd"        # what /message/recall.json sends and stores (2.9)
HISTORY_KEEP_HOURS = 72            # log files are kept 3 days (2.10)
GAGGED_CODE = 22408                # "muted in group" (client enum): used only with gag_applies_to_server_api


def private_id(a: str, b: str) -> str:
    x, y = sorted((a, b))
    return f"private:{x}:{y}"


def conversation_id(kind: int, sender: str, target: str) -> str:
    if kind == PRIVATE:
        return private_id(sender, target)
    if kind == SYSTEM:
        return f"system:{sender}:{target}"
    return f"{KIND[kind]}:{target}"


def new_uid(t: Tenant) -> str:
    """The next messageUID (dashed_id's shape, reference 2.8) from the app's sequence."""
    t.msg_seq += 1
    return uid_at(t, t.msg_seq)


def uid_at(t: Tenant, n: int) -> str:
    """The messageUID the app's n-th message gets (the pre-messaging callback names it first)."""
    return dashed_id(t, "message", n)


CHANNEL = {PRIVATE: "PERSON", GROUP: "GROUP", CHATROOM: "TEMPGROUP", SYSTEM: "NOTIFY", ULTRAGROUP: "ULTRAGROUP"}
REPLACE = {"replaceContent": "content", "replacePushContent": "pushContent", "replaceDisablePush": "disablePush",
           "replacePushExt": "pushExt", "replaceExtraContent": "extraContent"}   # 3.3 reply fields


def _screened(d: dict, verdict: dict | None) -> dict | None:
    """The message after the pre-messaging reply: None when rejected (pass 0), else with the
    replace* fields applied (a wrong type is ignored)."""
    if verdict is None:
        return d
    if verdict.get("pass") == 0:
        return None
    out = dict(d)
    for k, field in REPLACE.items():
        v = verdict.get(k)
        if v is None:
            continue
        if field == "disablePush":
            if isinstance(v, (bool, int)):
                out[field] = bool(v)
        elif isinstance(v, str):
            out[field] = v
    return out


def _routed(sent: list | None, channel: str, to: str, body: dict, uid: str, now: int, **extra) -> None:
    if sent is not None:
        sent.append({"fromUserId": body["fromUserId"], "toUserId": to, "objectName": body["objectName"],
                     "content": body["content"], "channelType": channel, "time": now, "msgUID": uid, **extra})


def _check_content(object_name: str, content: str) -> None:
    """Built-in (RC:) types carry a JSON object; custom types any text (2.2, emulator choice)."""
    if object_name.startswith("RC:"):
        try:
            ok = isinstance(orjson.loads(content), dict)
        except orjson.JSONDecodeError:
            ok = False
        if not ok:
            raise RongCloudError(1002, f"content of {object_name} must be a JSON object.")


def _body(d: dict, **target) -> dict:
    """What is kept: the app's own parameters (empty ones left out), plus the target."""
    keep = ("fromUserId", "objectName", "content", "pushContent", "pushData", "pushExt", "extraContent")
    body = {k: d[k] for k in keep if d.get(k) is not None}
    body.update(target)
    for k in ("isPersisted", "isCounted", "isIncludeSender", "disablePush", "expansion"):
        if k in d:
            body[k] = int(d[k])
    return body


def _append(t: Tenant, cid: str, users, sender: str, body: dict, now: int, persisted: bool,
            to=None, counted_for=()):
    uid = new_uid(t)
    conv = t.messages.conversation(cid if persisted else "online:" + cid, cid.split(":", 1)[0], users)
    # every message here comes through the Server API, which needs no group membership (2.4)
    t.messages.append(conv, sender, body, now / 1000, ids=(uid,), to=to, key=uid, flags=AS_ADMIN,
                      unread_for=counted_for if persisted else ())
    return uid


def _deactivated(t: Tenant, uid: str) -> bool:
    return uid in t.users.deactivated


def _refused_by(t: Tenant, recipient: str, sender: str) -> bool:
    """verifyBlacklist=1: the recipient blocklisted the sender, or keeps an allowlist without them."""
    if sender in t.users.blacklists.get(recipient, ()):
        return True
    white = t.users.whitelists.get(recipient)
    return bool(white) and sender not in white


def _sender_allowed(t: Tenant, sender: str, now: int) -> None:
    """Banned or deactivated senders: UNKNOWN (1.7, 1.8); the settings decide, default allowed."""
    s = t.settings
    if s.banned_sender_code and any(r == BLOCKED for r, _ in t.presence.suspended(sender, now)):
        raise RongCloudError(s.banned_sender_code, f"User {sender} is banned.")
    if s.deactivated_sender_code and _deactivated(t, sender):
        raise RongCloudError(s.deactivated_sender_code, f"User {sender} is deactivated.")


def private_recipients(t: Tenant, d: dict, now: int, system: bool = False) -> list[str]:
    """publish_private's checks, and the recipients that will get a message (in order)."""
    sender = d["fromUserId"]
    _check_content(d["objectName"], d["content"])
    _sender_allowed(t, sender, now)
    return [to for to in d["toUserId"] if not (
        _deactivated(t, to) or (not system and d.get("verifyBlacklist") and _refused_by(t, to, sender)))]


def publish_private(t: Tenant, d: dict, now: int, system: bool = False, verdicts: dict | None = None,
                    sent: list | None = None) -> list[dict]:
    """One message per recipient, each with its own messageUID. Recipients that are deactivated
    (their history is gone, 1.8) or, with verifyBlacklist, refuse the sender get nothing and no
    entry. Banned recipients still get theirs (kept offline until the ban ends, 1.7)."""
    sender = d["fromUserId"]
    _check_content(d["objectName"], d["content"])
    _sender_allowed(t, sender, now)
    out = []
    for to in d["toUserId"]:
        if _deactivated(t, to) or (not system and d.get("verifyBlacklist") and _refused_by(t, to, sender)):
            continue
        m = _screened(d, (verdicts or {}).get(to))
        if m is None:       # rejected by the pre-messaging callback: its UID is spent, nothing kept
            out.append({"userId": to, "messageUID": new_uid(t)})
            continue
        cid = f"system:{sender}:{to}" if system else private_id(sender, to)
        body = _body(m, toUserId=to)
        uid = _append(t, cid, sorted({sender, to}) if not system else (to,), sender, body, now,
                      d["isPersisted"], counted_for=(to,) if d["isCounted"] and to != sender else ())
        _routed(sent, CHANNEL[SYSTEM if system else PRIVATE], to, body, uid, now)
        out.append({"userId": to, "messageUID": uid})
    return out


def publish_group(t: Tenant, d: dict, now: int, verdicts: dict | None = None,
                  sent: list | None = None) -> list[dict]:
    """One message per target group, any sender (membership and whole-group mute do not apply to
    Server API sends, 2.4). Directed messages (toUserId) are not kept in cloud history."""
    check_group(t, d, now)
    sender, directed = d["fromUserId"], d["toUserId"]
    out = []
    for gid in d["toGroupId"]:
        m = _screened(d, (verdicts or {}).get(gid))
        if m is None:       # rejected by the pre-messaging callback: its UID is spent, nothing kept
            out.append({"groupId": gid, "messageUID": new_uid(t)})
            continue
        body = _body(m, toGroupId=gid, **({"toUserId": directed} if directed else {}))
        uid = _append(t, f"group:{gid}", (), sender, body, now, d["isPersisted"] and not directed,
                      to=directed or None)
        _routed(sent, CHANNEL[GROUP], gid, body, uid, now, **({"groupUserIds": directed} if directed else {}))
        out.append({"groupId": gid, "messageUID": uid})
    return out


def check_group(t: Tenant, d: dict, now: int) -> None:
    """publish_group's checks, made before anything is asked or stored."""
    sender = d["fromUserId"]
    directed = d["toUserId"]
    if directed and len(d["toGroupId"]) != 1:
        raise RongCloudError(1002, "A directed message (toUserId) takes exactly one toGroupId.")
    _check_content(d["objectName"], d["content"])
    _sender_allowed(t, sender, now)
    s = t.settings
    for gid in d["toGroupId"]:
        if gid not in t.groups and s.unknown_group_code:
            raise RongCloudError(s.unknown_group_code, f"Group {gid} does not exist.")
        if s.gag_applies_to_server_api:
            until = t.gags.get(gid, {}).get(sender)
            if until is not None and (until == 0 or until > now):
                raise RongCloudError(GAGGED_CODE, f"{sender} is muted in group {gid}.")


def recall(t: Tenant, d: dict, now: int, sent: list | None = None) -> None:
    """Marks the message recalled (isDelete: deleted too) when fromUserId sent it into that
    conversation, then stores the RC:RcCmd command there. An unknown UID is answered 200, as the
    official SDK tests expect (2.9), unless the recall_unknown_code setting names a code."""
    kind = d["conversationType"]
    if kind not in KIND:
        raise RongCloudError(1002, f"conversationType {kind} is not one of 1, 3, 4, 6, 10.")
    sender, target = d["fromUserId"], d["targetId"]
    cid = conversation_id(kind, sender, target)
    msg = t.messages.find(d["messageUID"])
    if msg is not None and (msg.conv.id not in (cid, "online:" + cid) or msg.sender != sender):
        msg = None
    if msg is None and t.settings.recall_unknown_code:
        raise RongCloudError(t.settings.recall_unknown_code, f"Message {d['messageUID']} not found.")
    if msg is not None:
        msg.flags |= RECALLED | (DELETED if d["isDelete"] else 0)
    command = {"messageUId": d["messageUID"], "conversationType": kind, "targetId": target,
               "isAdmin": int(d["isAdmin"]), "isDelete": int(d["isDelete"])}
    if d.get("sentTime") is not None:
        command["sentTime"] = d["sentTime"]
    if d.get("extra") is not None:
        command["extra"] = d["extra"]
    body = {"fromUserId": sender, "objectName": RECALL_COMMAND,
            "content": orjson.dumps(command).decode(),
            **({"toGroupId": target} if kind in (GROUP, ULTRAGROUP) else {"toUserId": target})}
    users = sorted({sender, target}) if kind == PRIVATE else ((target,) if kind == SYSTEM else ())
    uid = _append(t, cid, users, sender, body, now, True)
    _routed(sent, CHANNEL[kind], target, body, uid, now)


# --- hourly history logs (2.10) --------------------------------------------------------------------
def hour_bounds(t: Tenant, date: str) -> tuple[float, float] | None:
    """The [start, end) of a YYYYMMDDHH hour in epoch seconds, in the app's data-center zone."""
    try:
        local = datetime.strptime(date, "%Y%m%d%H")
    except ValueError:
        return None
    zone = timezone(timedelta(hours=t.settings.history_utc_offset_hours))
    start = local.replace(tzinfo=zone).timestamp()
    return start, start + 3600


def _checked_hour(t: Tenant, date: str) -> tuple[float, float]:
    """The hour ``date`` names, as history.json and history/delete.json both check it: 1009 when
    the service is off for the app, 1002 for a date that is not a YYYYMMDDHH hour."""
    if not t.settings.history_service:
        raise RongCloudError(1009)
    bounds = hour_bounds(t, date)
    if bounds is None:
        raise RongCloudError(1002, f"date {date} is not a valid YYYYMMDDHH hour.")
    return bounds


def history(t: Tenant, date: str, now_s: float, base_url: str) -> dict:
    """``url`` of the hour's log on the emulator, "" when the hour has no message, is not over
    yet, or is more than 3 days old. 1009 when the service is off for the app."""
    start, end = _checked_hour(t, date)
    has = _log_exists(t, start, end, now_s)
    url = f"{base_url}/_emulator/rongcloud/history/{t.app_key}/{date}.gz?sign={history_sign(t, date)}" if has else ""
    return {"url": url, "date": date}


def _log_exists(t: Tenant, start: float, end: float, now_s: float) -> bool:
    """The hour's file exists: the hour is over, not older than 3 days, not deleted, and some
    message of cloud history falls in it."""
    return (end <= now_s and now_s - end < HISTORY_KEEP_HOURS * 3600 and int(start) not in t.history_deleted
            and bool(log_rows(t, start, end, limit=1)))


def delete_history(t: Tenant, date: str, now_s: float) -> dict:
    """/message/history/delete.json (2.10): ``date`` checked as history.json checks it (1009 when
    the service is off, 1002 for a bad hour). The hour's log file is deleted (the real one within
    5-10 minutes, the emulator at once): history.json then answers ``url`` "" for that hour and
    the download link 404s. Messages stay in the store: the real service deletes the log file
    only, not the conversations' history. An hour without a file (not over, older than 3 days,
    no message) answers 200 and changes nothing (UNKNOWN; README known differences).
    Bounded: only hours whose file could exist are remembered (<= 73 entries)."""
    start, end = _checked_hour(t, date)
    if _log_exists(t, start, end, now_s):
        t.history_deleted[int(start)] = None
    keep = HISTORY_KEEP_HOURS * 3600
    for hour in [h for h in t.history_deleted if not (now_s - keep - 3600 < h <= now_s - 3600)]:
        del t.history_deleted[hour]      # its file could not exist any more (or yet): forget it
    return {}


def history_sign(t: Tenant, date: str) -> str:
    """The download link's capability: from the app secret and the hour, never random."""
    return _digest(t, "history", date).hex()[:16]


TARGET_TYPE = {"private": PRIVATE, "group": GROUP, "chatroom": CHATROOM, "system": SYSTEM,
               "ultragroup": ULTRAGROUP}


def log_rows(t: Tenant, start: float, end: float, limit: int | None = None) -> list[dict]:
    """One row per message stored in cloud history in [start, end), in arrival order. The real
    file's layout is UNKNOWN (reference 2.10): the emulator's fields are named after the routing
    callback's (3.2): fromUserId, targetId, targetType, GroupId, classname, content (the stored
    string), dateTime (local time with ms), msgUID, source "Server", isRecalled."""
    zone = timezone(timedelta(hours=t.settings.history_utc_offset_hours))
    rows = []
    for msg in t.messages.query(since=start):
        if msg.time >= end or msg.conv.id.startswith("online:"):
            continue
        if msg.flags & DELETED:
            continue
        b = msg.content()
        kind = msg.conv.id.split(":", 1)[0]
        group = b.get("toGroupId", "")
        stamp = datetime.fromtimestamp(msg.time, zone)
        rows.append({"appId": t.app_key, "fromUserId": msg.sender,
                     "targetId": group or b.get("toUserId", ""), "targetType": TARGET_TYPE.get(kind, 0),
                     "GroupId": group, "classname": b.get("objectName", ""), "content": b.get("content", ""),
                     "dateTime": stamp.strftime("%Y-%m-%d %H:%M:%S.") + f"{stamp.microsecond // 1000:03d}",
                     "msgUID": msg.ids[0] if msg.ids else "", "source": "Server",
                     "isRecalled": int(bool(msg.flags & RECALLED))})
        if limit is not None and len(rows) >= limit:
            break
    return rows


def history_file(t: Tenant, date: str, now_s: float) -> bytes | None:
    """The gzip'd log (one JSON object per line) the history URL serves, or None."""
    import gzip
    bounds = hour_bounds(t, date)
    if bounds is None or not t.settings.history_service:
        return None
    start, end = bounds
    if end > now_s or now_s - end >= HISTORY_KEEP_HOURS * 3600 or int(start) in t.history_deleted:
        return None
    lines = b"".join(orjson.dumps(r) + b"\n" for r in log_rows(t, start, end))
    return gzip.compress(lines, mtime=0) if lines else None


def check_messages(t: Tenant) -> list[str]:
    """Store invariants (membership: every message here is a Server API send, flagged AS_ADMIN);
    every message's key is its UID; the membership history's current members are the group's
    (a dismissed group's history has none)."""
    def members_of(cid: str):
        g = t.groups.get(cid[6:])
        return g.members if g is not None else ()
    problems = [f"messages: {p}" for p in t.messages.check(members_of)]
    for gid, g in t.groups.items():
        if g.members and "group:" + gid not in t.messages.rosters:
            problems.append(f"messages: group {gid} has no membership history")
    if len(t.history_deleted) > HISTORY_KEEP_HOURS + 1:
        problems.append(f"messages: {len(t.history_deleted)} deleted history hours remembered, over "
                        f"{HISTORY_KEEP_HOURS + 1}")
    for conv in t.messages.convs.values():
        for m in conv.messages():
            if m.key is not None and (not m.ids or m.key != m.ids[0]):
                problems.append(f"messages: {conv.id} seq {m.seq} key {m.key!r} is not its messageUID")
    return problems


__all__ = ["publish_private", "publish_group", "recall", "history", "history_file", "delete_history",
           "check_messages",
           "DEACTIVATED"]
