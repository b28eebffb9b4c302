"""/user/* rules (reference openim.md section 4; [srv-p16] internal/rpc/user/user.go,
[proto] user/user.go Check methods). Each function takes (tenant, op userID, request, now ms)."""

from __future__ import annotations

from itertools import islice

from . import callbacks as cb
from .errors import (REGISTERED_ALREADY, OpenIMError, args, check, mongo_not_found,
                     no_permission, panic)
from .models import Tenant, User

REGISTERED, UNREGISTERED = 1, 0     # constant.Registered / UnRegistered


def check_admin(t: Tenant, op: str) -> None:
    """authverify.CheckAdmin: the op user must be in the tenant's admin list."""
    if not t.is_admin(op):
        raise no_permission(f"user {op} is not admin userID")


def check_access(t: Tenant, op: str, owner: str) -> None:
    """authverify.CheckAccess: self or admin; errDlt as WrapMsg renders ("ownerUserID", owner)."""
    if op != owner and not t.is_admin(op):
        raise no_permission(f"ownerUserID, {owner}=MISSING")


def paginate(items, pagination: dict):
    """tools' Paginate/FindPage: skip (pageNumber-1)*showNumber; showNumber <= 0 is an empty page."""
    show = pagination["showNumber"]
    if show <= 0:
        return []
    start = (pagination["pageNumber"] - 1) * show
    return items[start:start + show]


def paginate_iter(items, pagination: dict) -> list:
    """``paginate`` over an iterable: reads only as far as the page's end."""
    show = pagination["showNumber"]
    if show <= 0:
        return []
    start = (pagination["pageNumber"] - 1) * show
    return list(islice(items, start, start + show))


def check_pagination(pagination) -> None:
    if pagination is None:
        raise check("pagination is empty")
    if pagination["pageNumber"] < 1:
        raise check("pageNumber is invalid")


def user_info(u: User) -> dict:
    return {"userID": u.userID, "nickname": u.nickname, "faceURL": u.faceURL, "ex": u.ex,
            "createTime": u.createTime, "appMangerLevel": u.appMangerLevel,
            "globalRecvMsgOpt": u.globalRecvMsgOpt}


def legal_user_id(uid: str) -> bool:
    """datautil.IsLegalUserID: letters, digits and '_' only (the empty ID passes here)."""
    return all(c.isalnum() or c == "_" for c in uid)


def user_register(t: Tenant, op: str, req: dict, now: int):
    """No batch cap in code ([docs] say arrays are limited to 1000; not enforced by the server)."""
    users = req["users"]
    if users is None:
        raise check("users are empty")
    for u in users:
        if u is None:
            raise check("user is empty")
        if not legal_user_id(u["userID"]):
            raise check("userID is legal")
    for u in users:
        if u["nickname"] == "":
            raise check("user name is empty")
    if not users:
        raise args("users are empty")   # [] passes the API's Check, arrives nil at the RPC's (1.4)
    check_admin(t, op)
    ids = [u["userID"] for u in users]
    if len(set(ids)) != len(ids):
        raise args("userID repeated")
    for uid in ids:
        if uid == "":
            raise args("userID is empty")
        if ":" in uid:
            raise args("userID contains ':' is invalid userID")
    if any(uid in t.users for uid in ids):
        raise OpenIMError(REGISTERED_ALREADY, detail="userID registered already")
    reply = cb.before("beforeUserRegister", lambda: {"users": users})
    if reply and isinstance(reply.get("users"), list) and reply["users"]:
        users = cb.users_override(reply["users"])   # §4.6: replaces the list, not re-validated
    for u in users:
        t.users[u["userID"]] = User(u["userID"], u["nickname"], u["faceURL"], u["ex"], now,
                                    u["appMangerLevel"], u["globalRecvMsgOpt"])
    cb.after("afterUserRegister", lambda: {"users": users})
    return None


def get_users_info(t: Tenant, op: str, req: dict, now: int):
    ids = req["userIDs"]
    if ids is None:
        raise check("UserIDs is empty")
    if not ids:
        raise args("UserIDs is empty")
    seen, out = set(), []
    for uid in ids:
        u = t.users.get(uid)
        if u is not None and uid not in seen:
            seen.add(uid)
            out.append(user_info(u))
    return {"usersInfo": out}


def get_all_users_uid(t: Tenant, op: str, req: dict, now: int):
    check_pagination(req["pagination"])
    ids = list(t.users)
    return {"total": len(ids), "userIDs": paginate(ids, req["pagination"])}


def update_user_info_ex(t: Tenant, op: str, req: dict, now: int):
    info = req["userInfo"]
    if t.setting("update_user_info_ex_check"):   # protocol alpha.12 added this Check (3.2)
        if info is None:
            raise check("userInfo is empty")
        if info["userID"] == "":
            raise check("userID is empty")
    elif info is None:
        raise panic("runtime error: invalid memory address or nil pointer dereference")
    check_access(t, op, info["userID"])
    body = lambda: {"userID": info["userID"], "nickName": info["nickname"],  # noqa: E731
                    "faceURL": info["faceURL"], "ex": None}
    reply = cb.before("beforeUpdateUserInfoEx", body)
    if reply:       # only where the request had the field (§4.6)
        info = dict(info)
        for ours, theirs in (("nickname", "nickName"), ("faceURL", "faceURL"), ("ex", "ex")):
            if info[ours] is not None and isinstance(reply.get(theirs), str):
                info[ours] = reply[theirs]
    u = t.users.get(info["userID"])
    if u is None:
        raise mongo_not_found()
    for name in ("nickname", "faceURL", "ex", "globalRecvMsgOpt"):
        if info[name] is not None:
            setattr(u, name, info[name])
    if info["nickname"] is not None or info["faceURL"] is not None:
        from .models_messages import profile_changed
        profile_changed(t, op, u.userID, now)
    cb.after("afterUpdateUserInfoEx", body)
    return None


def account_check(t: Tenant, op: str, req: dict, now: int):
    ids = req["checkUserIDs"]
    if ids is None:
        raise check("CheckUserIDs is empty")
    if not ids:
        raise args("CheckUserIDs is empty")
    if len(set(ids)) != len(ids):
        raise args("userID repeated")
    check_admin(t, op)
    return {"results": [{"userID": uid, "accountStatus": REGISTERED if uid in t.users else UNREGISTERED}
                        for uid in ids]}
