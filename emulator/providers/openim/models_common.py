"""Group helpers shared by the group rule modules: lookups, role checks, record -> JSON."""

from __future__ import annotations

from .errors import (DISMISSED_ALREADY, OpenIMError, args, check, mongo_not_found, no_permission,
                     wrapped)
from itertools import chain, filterfalse

from .models import (ADMIN, OWNER, STATUS_DISMISSED, Group, GroupRequest, Member,
                     Tenant)
from .models_users import paginate_iter

PARAM_MAX_LENGTH = 1000   # constant.ParamMaxLength: Check refuses lists longer than this


def take_group(t: Tenant, gid: str) -> Group:
    g = t.groups.get(gid)
    if g is None:
        raise mongo_not_found()
    return g


def take_member(t: Tenant, gid: str, uid: str) -> Member:
    g = t.groups.get(gid)
    m = g.members.get(uid) if g is not None else None
    if m is None:
        raise mongo_not_found()
    return m


def not_dismissed(g: Group, detail: str = "") -> None:
    """1204: ``Wrap()`` (errDlt = errMsg) unless a WrapMsg text is given."""
    if g.status == STATUS_DISMISSED:
        raise OpenIMError(DISMISSED_ALREADY, detail=detail) if detail else wrapped(DISMISSED_ALREADY)


def check_group_admin(t: Tenant, op: str, gid: str) -> None:
    """CheckGroupAdmin (v3.8.3): a non-member op gets 1004 from TakeGroupMember (main: 1002)."""
    if t.is_admin(op):
        return
    m = take_member(t, gid, op)
    if m.roleLevel not in (OWNER, ADMIN):
        raise no_permission("no group owner or admin")


def check_admin_or_in_group(t: Tenant, op: str, gid: str) -> None:
    """patch.16's checkAdminOrInGroup (12); v3.8.3 has none (setting read_permission_checks)."""
    if t.is_admin(op) or not t.setting("read_permission_checks"):
        return
    g = t.groups.get(gid)
    if g is None or op not in g.members:
        raise no_permission("op user not in group")


def check_group_quota(t: Tenant) -> None:
    """At most the max_groups setting (100,000) groups per tenant: the server has no limit, the
    emulator's memory does (README Reliability); 1001 like the server's other refusals."""
    cap = t.setting("max_groups")
    if len(t.groups) >= cap:
        raise args(f"group count limit reached ({cap})")


def check_member_quota(t: Tenant, g: Group | None, adding: int) -> None:
    """At most the max_group_members setting (10,000) members per group, as above."""
    cap = t.setting("max_group_members")
    if (len(g.members) if g is not None else 0) + adding > cap:
        raise args(f"group member count limit reached ({cap})")


def check_list_len(values, name: str) -> None:
    if values is not None and len(values) > PARAM_MAX_LENGTH:
        raise check(f"too many {name}, need to be less than 1000")


def require(value, text: str) -> None:
    """A Check() rule: ``value`` must be set (not "", not null) in the API process."""
    if value is None or value == "":
        raise check(text)


def group_info(g: Group, count: int | None = None) -> dict:
    """sdkws.GroupInfo: ownerUserID and memberCount are computed from the members at read time."""
    return {"groupID": g.groupID, "groupName": g.groupName, "notification": g.notification,
            "introduction": g.introduction, "faceURL": g.faceURL, "ownerUserID": g.owner,
            "createTime": g.createTime,
            "memberCount": len(g.members) if count is None else count, "ex": g.ex,
            "status": g.status, "creatorUserID": g.creatorUserID, "groupType": g.groupType,
            "needVerification": g.needVerification, "lookMemberInfo": g.lookMemberInfo,
            "applyMemberFriend": g.applyMemberFriend,
            "notificationUpdateTime": g.notificationUpdateTime,
            "notificationUserID": g.notificationUserID}


def member_info(t: Tenant, gid: str, uid: str, m: Member) -> dict:
    """sdkws.GroupMemberFullInfo; empty nickname/faceURL are filled from the user's profile
    (PopulateGroupMember); appMangerLevel is never set by the conversion, so it is 0."""
    nickname, face = m.nickname, m.faceURL
    if not nickname or not face:
        u = t.users.get(uid)
        if u is not None:
            nickname = nickname or u.nickname
            face = face or u.faceURL
    return {"groupID": gid, "userID": uid, "roleLevel": m.roleLevel, "joinTime": m.joinTime,
            "nickname": nickname, "faceURL": face, "appMangerLevel": 0,
            "joinSource": m.joinSource, "operatorUserID": m.operatorUserID, "ex": m.ex,
            "muteEndTime": m.muteEndTime, "inviterUserID": m.inviterUserID}


def public_user(t: Tenant, uid: str):
    u = t.users.get(uid)
    if u is None:
        return None
    return {"userID": u.userID, "nickname": u.nickname, "faceURL": u.faceURL, "ex": u.ex}


def request_info(t: Tenant, g: Group, uid: str, r: GroupRequest, user="lookup") -> dict:
    """sdkws.GroupRequest (convert.Db2PbGroupRequest)."""
    return {"userInfo": public_user(t, uid) if user == "lookup" else user,
            "groupInfo": group_info(g), "handleResult": r.handleResult, "reqMsg": r.reqMsg,
            "handleMsg": r.handledMsg, "reqTime": r.reqTime, "handleUserID": r.handleUserID,
            "handleTime": r.handledTime, "ex": r.ex, "joinSource": r.joinSource,
            "inviterUserID": r.inviterUserID}


def ordered_members(g: Group):
    """Members as the server pages them: role_level desc, then join order (memberSort)."""
    owner = [(g.owner, g.members[g.owner])] if g.owner in g.members else []
    admins = [(u, m) for u, m in g.members.items() if m.roleLevel == ADMIN]
    rest = [(u, m) for u, m in g.members.items() if m.roleLevel not in (OWNER, ADMIN)]
    return owner + admins + rest


def member_page(t: Tenant, g: Group, pagination: dict) -> tuple[int, list]:
    """(total, page) of ``ordered_members(g)`` without ordering everyone: the owner and the
    admins come from the group's cached owner/admin list, the rest is read in join order only
    as far as the page's end."""
    members = g.members
    special = t.special_members(g)
    head = [g.owner] if g.owner in members else []
    head += [u for u in special if members[u].roleLevel == ADMIN]
    rest = filterfalse(set(special).__contains__, members)    # skipped in C up to the page
    page = paginate_iter(chain(head, rest), pagination)
    return len(head) + len(members) - len(special), [(u, members[u]) for u in page]
