"""The remaining /user routes: get_users, update_user_info, get_users_online_status,
get_users_online_token_detail, process_user_command_* (reference openim-users-messages-webhooks.md
§1.3, §1.4, §1.7, §1.8, §1.10; the same in v3.8.3 and v3.8.3-patch.16, openim-versions.md §15).
Each function takes (tenant, op userID, request, now ms), like models_users.py.

Online status is core/presence.py state set by tests (no WebSocket gateway exists here); a
platform's tokens come from the token store (auth.py).
"""

from __future__ import annotations

from itertools import islice

import re

from . import auth
from . import callbacks as cb
from .errors import INTERNAL, RECORD_NOT_FOUND, OpenIMError, check, mongo_not_found, no_permission, wrapped
from .models import Tenant
from .models_users import check_access, check_pagination, user_info

# [proto] constant/platform_id_to_name.go (openim.md §2.3)
PLATFORM_NAMES = {1: "IOS", 2: "Android", 3: "Windows", 4: "OSX", 5: "Web", 6: "MiniWeb",
                  7: "Linux", 8: "APad", 9: "IPad", 10: "Admin", 11: "HarmonyOS"}
PLATFORM_IDS = {name: pid for pid, name in PLATFORM_NAMES.items()}
LISTED_LEVELS = (0, 1)          # get_users lists IMOrdinaryUser / AppOrdinaryUsers only (§1.3)
# process_user_command records: the server keeps every one (Mongo); the emulator keeps the newest
# USER_COMMANDS_MAX per tenant and counts the oldest it forgets (Tenant.user_commands_dropped).
USER_COMMANDS_MAX = 100_000


def normalise_platform(value) -> str:
    """The control plane's platform (1..11, "5", or a name such as "web") as its OpenIM name."""
    if isinstance(value, bool):
        raise ValueError("platform must be a platform ID or name")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int):
        if value in PLATFORM_NAMES:
            return PLATFORM_NAMES[value]
        raise ValueError(f"unknown platformID {value}; 1..11")
    if isinstance(value, str):
        for name in PLATFORM_IDS:
            if name.lower() == value.strip().lower():
                return name
    raise ValueError(f"unknown platform {value!r}; one of {', '.join(PLATFORM_IDS)} or 1..11")


# --- get_users / update_user_info ----------------------------------------------------------------
def _matcher(pattern: str):
    """Mongo's unanchored, case-insensitive $regex over the raw string; a bad one fails the
    query (500, INFERRED in §1.3)."""
    try:
        return re.compile(pattern, re.IGNORECASE).search
    except re.error as exc:
        raise OpenIMError(INTERNAL, detail=f"invalid regex {pattern!r}: {exc}") from None


def _listed_count(t: Tenant) -> int:
    """How many users get_users lists, counted once per change of the user table: users are only
    ever added (register, seed, load) and appMangerLevel is fixed at registration, so the count
    is a function of (size, newest userID). Kept beside the tenant, not in its state."""
    key = (len(t.users), next(reversed(t.users), None))
    cached = t.__dict__.get("_listed_count")
    if cached is None or cached[0] != key:
        cached = (key, sum(1 for u in t.users.values() if u.appMangerLevel in LISTED_LEVELS))
        t.__dict__["_listed_count"] = cached
    return cached[1]


def get_users(t: Tenant, op: str, req: dict, now: int):
    """Any token. Only appMangerLevel 0/1; userID / nickName filters OR'ed; page over
    registration order; an empty page is users null with total still set."""
    check_pagination(req["pagination"])
    uid, nick = req["userID"], req["nickName"]
    if not uid and not nick:   # the usual call: a page of everyone, cost flat in the user count
        p = req["pagination"]
        start, size = (p["pageNumber"] - 1) * p["showNumber"], p["showNumber"]
        total = _listed_count(t)
        if size <= 0 or start >= total:
            return {"total": total, "users": None}
        listed = (u for u in t.users.values() if u.appMangerLevel in LISTED_LEVELS)
        return {"total": total, "users": [user_info(u) for u in islice(listed, start, start + size)]}
    users = [u for u in t.users.values() if u.appMangerLevel in LISTED_LEVELS]
    if uid or nick:
        by_id = _matcher(uid) if uid else None
        by_nick = _matcher(nick) if nick else None
        users = [u for u in users if (by_id and by_id(u.userID)) or (by_nick and by_nick(u.nickname))]
    p = req["pagination"]
    start = (p["pageNumber"] - 1) * p["showNumber"]
    if p["showNumber"] <= 0 or start >= len(users):
        return {"total": len(users), "users": None}
    return {"total": len(users), "users": [user_info(u) for u in users[start:start + p["showNumber"]]]}


def update_user_info(t: Tenant, op: str, req: dict, now: int):
    """Deprecated but still called (chat). Check, self-or-admin, user must exist (1004); writes
    nickname/faceURL/ex only when non-empty and globalRecvMsgOpt only when non-zero (§1.4)."""
    info = req["userInfo"]
    if info is None:
        raise check("UserInfo is empty")
    if info["userID"] == "":
        raise check("UserID is empty")
    check_access(t, op, info["userID"])
    # §4.6: before the user is looked up; ex is always null in the body, "" in the after body
    reply = cb.before("beforeUpdateUserInfo", lambda: {
        "userID": info["userID"], "nickName": info["nickname"], "faceURL": info["faceURL"], "ex": None})
    if reply:
        info = dict(info)
        for ours, theirs in (("nickname", "nickName"), ("faceURL", "faceURL"), ("ex", "ex")):
            if isinstance(reply.get(theirs), str):
                info[ours] = reply[theirs]
    u = t.users.get(info["userID"])
    if u is None:
        raise mongo_not_found()
    for name in ("nickname", "faceURL", "ex"):
        if info[name]:
            setattr(u, name, info[name])
    if info["globalRecvMsgOpt"]:
        u.globalRecvMsgOpt = info["globalRecvMsgOpt"]
    if info["nickname"] or info["faceURL"]:
        from .models_messages import profile_changed
        profile_changed(t, op, u.userID, now)
    cb.after("afterUpdateUserInfo", lambda: {"userID": info["userID"], "nickName": info["nickname"],
                                             "faceURL": info["faceURL"], "ex": ""})
    return None


# --- online status ----------------------------------------------------------------------------------
def _live_tokens(t: Tenant, user: str, pid: int) -> list[str]:
    return [tok for tok in t.user_tokens.get(user, {}).get(pid, ()) if t.tokens[tok][2] == auth.NORMAL]


def get_users_online_status(t: Tenant, op: str, req: dict, now: int):
    """Admin only (the gateway's 1002 "only app manager" is passed through, §1.7). One element
    per requested ID, request order, duplicates repeated; userIDs null -> data null."""
    if not t.is_admin(op):
        raise no_permission("only app manager")
    ids = req["userIDs"]
    if ids is None:
        return []
    out = []
    for uid in ids:
        rows = t.presence.platforms(uid)
        detail = []
        for name in rows:
            pid = PLATFORM_IDS[name]
            tokens = _live_tokens(t, uid, pid)
            detail.append({"platformID": pid, "connID": f"{uid}-{pid}", "isBackground": False,
                           "token": tokens[-1] if tokens else ""})
        out.append({"userID": uid, "status": 1 if rows else 0, "detailPlatformStatus": detail or None})
    return out


def get_users_online_token_detail(t: Tenant, op: str, req: dict, now: int):
    """Any token (gateway errors are swallowed, §1.8). Only online users appear, with each
    online platform's live tokens; nobody online -> data null."""
    out = []
    for uid in dict.fromkeys(req["userIDs"] or ()):
        rows = t.presence.platforms(uid)
        if not rows:
            continue
        platforms = []
        for name in rows:
            tokens = _live_tokens(t, uid, PLATFORM_IDS[name])
            platforms.append({"platformID": PLATFORM_IDS[name], "total": len(tokens), "token": tokens})
        out.append({"userID": uid, "status": 1, "singlePlatformToken": platforms})
    return out


# --- process_user_command_* -------------------------------------------------------------------------
def _check_user_type(req: dict, with_type: bool = True, with_uuid: bool = False) -> None:
    if req["userID"] == "":
        raise check("userID is empty")
    if with_type and req["type"] == 0:
        raise check("type is not specified")
    if with_uuid and req["uuid"] == "":
        raise check("UUID is empty")


def _find(t: Tenant, req: dict):
    """The first record of (userID, type, uuid), Mongo's DeleteOne/UpdateOne target."""
    for seq, rec in t.user_commands.items():
        if rec[0] == req["userID"] and rec[1] == req["type"] and rec[2] == req["uuid"]:
            return seq
    return None


def process_user_command_add(t: Tenant, op: str, req: dict, now: int):
    """Always a new record (no uniqueness); when ``ex`` is given its value is stored as the
    value and ex is stored empty (§1.10 quirk). createTime in seconds. The user is not looked up."""
    _check_user_type(req, with_uuid=True)
    check_access(t, op, req["userID"])
    value = req["value"] or ""
    if req["ex"] is not None:
        value = req["ex"]
    t.user_command_seq += 1
    t.user_commands[t.user_command_seq] = [req["userID"], req["type"], req["uuid"], value, "", now // 1000]
    while len(t.user_commands) > USER_COMMANDS_MAX:
        del t.user_commands[next(iter(t.user_commands))]
        t.user_commands_dropped += 1
    return None


def process_user_command_delete(t: Tenant, op: str, req: dict, now: int):
    _check_user_type(req, with_uuid=True)
    check_access(t, op, req["userID"])
    seq = _find(t, req)
    if seq is None:
        raise wrapped(RECORD_NOT_FOUND)     # errs.Wrap(ErrRecordNotFound): errDlt = errMsg
    del t.user_commands[seq]
    return None


def process_user_command_update(t: Tenant, op: str, req: dict, now: int):
    """Nothing to set -> success without a lookup; otherwise the first match (1004 if none)."""
    _check_user_type(req, with_uuid=True)
    check_access(t, op, req["userID"])
    changes = {i: req[k] for i, k in ((3, "value"), (4, "ex")) if req[k] is not None}
    if not changes:
        return None
    seq = _find(t, req)
    if seq is None:
        raise wrapped(RECORD_NOT_FOUND)     # errs.Wrap(ErrRecordNotFound): errDlt = errMsg
    for i, v in changes.items():
        t.user_commands[seq][i] = v
    return None


def _rows(t: Tenant, user: str, type_=None) -> list[dict]:
    return [{"type": r[1], "createTime": r[5], "uuid": r[2], "value": r[3], "ex": r[4]}
            for r in t.user_commands.values() if r[0] == user and (type_ is None or r[1] == type_)]


def process_user_command_get(t: Tenant, op: str, req: dict, now: int):
    _check_user_type(req)
    check_access(t, op, req["userID"])
    return {"CommandResp": _rows(t, req["userID"], req["type"])}


def process_user_command_get_all(t: Tenant, op: str, req: dict, now: int):
    _check_user_type(req, with_type=False)
    check_access(t, op, req["userID"])
    return {"CommandResp": _rows(t, req["userID"])}


def check_user_commands(t: Tenant) -> list[str]:
    problems = []
    if len(t.user_commands) > USER_COMMANDS_MAX:
        problems.append(f"{len(t.user_commands)} user commands over the cap {USER_COMMANDS_MAX}")
    for seq, rec in t.user_commands.items():
        if seq > t.user_command_seq:
            problems.append(f"user command {seq} is newer than its sequence {t.user_command_seq}")
        if len(rec) != 6 or not isinstance(rec[0], str) or not isinstance(rec[1], int):
            problems.append(f"user command {seq} is malformed: {rec!r}")
    return problems
