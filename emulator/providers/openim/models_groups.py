"""Group lifecycle and group-level settings (reference openim.md section 5.3;
[srv-p16] internal/rpc/group/group.go, db_map.go, statistics.go, convert/group.go).
Each function takes (tenant, op userID, request, now ms) and checks everything before it writes."""

from __future__ import annotations

from datetime import datetime, timezone
from itertools import chain, filterfalse

from . import callbacks as cb
from .errors import (DATA_ERROR, GROUP_ID_EXISTED, USER_ID_NOT_FOUND, OpenIMError, args, check,
                     no_permission, not_found, wrap_msg)
from .models import (ADMIN, ORDINARY, OWNER, STATUS_DISMISSED, STATUS_MUTED,
                     STATUS_OK, V_DELETE, V_GROUP_CHANGE_ID, V_INSERT, V_SORT_CHANGE_ID, V_UPDATE, Group,
                     Member, Tenant)
from .models_common import (check_group_admin, check_group_quota, check_list_len,
                            check_member_quota, group_info, not_dismissed, require, take_group,
                            take_member)
from .models_users import check_access, check_admin, check_pagination, paginate, paginate_iter
from . import models_messages as msgs

WORKING_GROUP = 2           # constant.WorkingGroup: the only type CreateGroup accepts
GROUP_ID_ATTEMPTS = 10      # GenGroupID retries before 90007 "group id gen error"


def gen_group_id(t: Tenant) -> str:
    """First 8 hex digits of an MD5 as a decimal number: 0..4294967295, up to 10 digits."""
    for _ in range(GROUP_ID_ATTEMPTS):
        gid = str(int(t.next_digest()[:8], 16))
        if gid not in t.groups:
            return gid
    raise OpenIMError(DATA_ERROR, detail="group id gen error")


def create_group(t: Tenant, op: str, req: dict, now: int):
    info = req["groupInfo"]
    if info is None:
        raise check("groupInfo is empty")
    if not 0 <= info["groupType"] <= 2:
        raise check("GroupType is invalid")
    owner = req["ownerUserID"]
    require(owner, "ownerUserID is empty")
    check_list_len(req["memberUserIDs"], "MemberUserIDs")
    if info["groupType"] != WORKING_GROUP:
        raise args("group type only supports 2")
    check_access(t, op, owner)
    members, admins = req["memberUserIDs"] or [], req["adminUserIDs"] or []
    ids = members + admins + [owner]
    if op not in ids:
        ids.append(op)
    if len(set(ids)) != len(ids):
        raise args("group member repeated")
    if any(uid not in t.users for uid in ids):
        raise OpenIMError(USER_ID_NOT_FOUND, detail="user not found")
    init = [{"userID": owner, "roleLevel": OWNER}] + [{"userID": u, "roleLevel": ADMIN} for u in admins] \
        + [{"userID": u, "roleLevel": ORDINARY} for u in members]
    reply = cb.before("beforeCreateGroup", lambda: {**info, "initMemberList": init})
    if reply:       # §4.6: these GroupInfo fields may be replaced (applyMemberFriend is not)
        info = dict(info)
        for k in ("groupID", "groupName", "notification", "introduction", "faceURL", "ex", "status",
                  "creatorUserID", "groupType", "needVerification", "lookMemberInfo"):
            if reply.get(k) is not None:
                info[k] = reply[k]
    gid = info["groupID"]
    if gid:
        if gid in t.groups:
            raise OpenIMError(GROUP_ID_EXISTED, detail=f"group id existed {gid}")
    check_group_quota(t)
    check_member_quota(t, None, len(ids))
    if not gid:
        gid = gen_group_id(t)
    added = [(owner, OWNER)] + [(u, ADMIN) for u in admins] + [(u, ORDINARY) for u in members]
    joined = cb.member_overrides(cb.before("beforeMemberJoinGroup", lambda: {
        "groupID": gid, "memberList": [{"userID": u, "ex": ""} for u, _ in added], "groupEx": info["ex"]}))
    creator = info["creatorUserID"] if t.setting("quirk_creator_user_id_from_request") else op
    g = Group(gid, info["groupName"], info["notification"], info["introduction"], info["faceURL"],
              now, info["ex"], info["status"], creator, info["groupType"],
              info["needVerification"], info["lookMemberInfo"], info["applyMemberFriend"],
              info["notificationUpdateTime"], info["notificationUserID"])
    t.groups[gid] = g
    if g.status == STATUS_DISMISSED:
        t.dismissed_count += 1
    for uid, role in added:
        m = Member(role, now, joinSource=2, operatorUserID=op, inviterUserID=op)
        cb.apply_member(m, joined.get(uid))
        t.add_member(g, uid, m)
        t.joins_changed(uid, [gid], V_INSERT)
    t.member_changed(gid, [uid for uid, _ in added], V_INSERT)
    # 1501 (tips.memberList stops after the op user's entry), then 1519 for an announcement (2.12)
    listed = [uid for uid, _ in added]
    listed = listed[:listed.index(op) + 1] if op in listed else listed
    msgs.group_notify(t, op, g, msgs.GROUP_CREATED, now, req.get("sendMessage"),
                      memberList=[msgs._member(t, g, u) for u in listed],
                      groupOwnerUser=msgs._member(t, g, owner))
    if g.notification:
        msgs.group_notify(t, op, g, msgs.ANNOUNCEMENT_SET, now)
    count = len(ids) if t.setting("quirk_create_member_count_includes_op") else len(g.members)
    out = group_info(g, count)
    cb.after("afterCreateGroup", lambda: {**out, "initMemberList": [
        {"userID": owner, "roleLevel": OWNER}] + [{"userID": u, "roleLevel": ADMIN} for u in admins]
        + [{"userID": u, "roleLevel": ORDINARY} for u in ids]})
    return {"groupInfo": out}


def get_groups_info(t: Tenant, op: str, req: dict, now: int):
    """No permission check: any token reads any group; unknown IDs are left out."""
    ids = req["groupIDs"]
    if ids is None:
        raise check("GroupIDs is empty")
    if not ids:
        raise args("GroupIDs is empty")     # the RPC's Check sees [] as nil (1.4)
    out = [group_info(t.groups[gid]) for gid in dict.fromkeys(ids) if gid in t.groups]
    return {"groupInfos": out}


def _check_set_permission(t: Tenant, op: str, gid: str, lookup: bool = True) -> Group | None:
    """The op user's right to change the group, then (``lookup``) the group itself: the set-info
    before hooks come between the two (§4.6: after permission, before the group lookup)."""
    if not t.is_admin(op):
        m = take_member(t, gid, op)
        if m.roleLevel not in (OWNER, ADMIN):
            raise no_permission("no group owner or admin")
    return _settable_group(t, gid) if lookup else None


def _settable_group(t: Tenant, gid: str) -> Group:
    g = take_group(t, gid)
    not_dismissed(g)
    if not g.owner:
        raise owner_not_found(gid)
    return g


def owner_not_found(gid: str):
    """TakeGroupOwner (cache/redis/group.go): 1004 naming the group (8.1)."""
    return not_found(f"group {gid} owner not found")


def _apply(t: Tenant, g: Group, changes: dict, op: str, now: int) -> None:
    if "notification" in changes:
        changes["notificationUserID"] = op
        changes["notificationUpdateTime"] = now
    for k, v in changes.items():
        setattr(g, k, v)
    t.member_changed(g.groupID, [V_GROUP_CHANGE_ID], V_UPDATE)
    # stored copies: 1520 for a name, 1519 for a non-empty announcement; 1502 is push-only (2.12)
    if changes.get("notification"):
        msgs.group_notify(t, op, g, msgs.ANNOUNCEMENT_SET, now)
    elif "notification" in changes and t.setting("cleared_announcement_notification"):
        msgs.group_push(t, op, g, msgs.ANNOUNCEMENT_SET, now)   # patch.16: pushed, no copy
    if "groupName" in changes:
        msgs.group_notify(t, op, g, msgs.NAME_SET, now)
    if set(changes) - {"groupName", "notification", "notificationUserID", "notificationUpdateTime"}:
        msgs.group_push(t, op, g, msgs.GROUP_INFO_SET, now, muteTime=0)


SET_EX_KEYS = ("groupName", "notification", "introduction", "faceURL", "ex", "needVerification",
               "lookMemberInfo", "applyMemberFriend")


def set_group_info_ex(t: Tenant, op: str, req: dict, now: int):
    if cb.active():
        req = _before_set_ex(t, op, req)
    g = _check_set_permission(t, op, req["groupID"])
    changes: dict = {}
    name = req["groupName"]
    trim = t.setting("group_texts_trimmed")     # patch.16 trims; v3.8.3 tests only "" (10.1)
    if name is not None:
        if not (name.strip() if trim else name):
            if t.setting("quirk_blank_group_name_silent_success"):
                return None   # the handler tests "nothing to update" before the error
            raise args("group name is empty")
        changes["groupName"] = name
    if req["notification"] is not None:
        changes["notification"] = req["notification"].strip() if trim else req["notification"]
    for k in ("introduction", "faceURL", "needVerification", "lookMemberInfo", "applyMemberFriend", "ex"):
        if req[k] is not None:
            changes[k] = req[k]
    if changes:
        _apply(t, g, changes, op, now)
    cb.after("afterSetGroupInfoEx", lambda: {"operationID": "", "groupID": req["groupID"],
                                             **{k: req[k] for k in SET_EX_KEYS}})
    return None


def _before_set_ex(t: Tenant, op: str, req: dict) -> dict:
    """beforeSetGroupInfoEx, after the permission check: every field is taken from the reply
    (omitted -> null = unchanged; an omitted groupID fails with 1004); notification stays."""
    _check_set_permission(t, op, req["groupID"], lookup=False) if req["groupID"] else None
    reply = cb.before("beforeSetGroupInfoEx", lambda: {
        "operationID": "", "groupID": req["groupID"], **{k: req[k] for k in SET_EX_KEYS}})
    if reply is None:
        return req
    out = dict(req, groupID=reply.get("groupID") or "")
    for k in SET_EX_KEYS:
        if k != "notification":
            out[k] = reply.get(k)
    if not out["groupID"]:
        raise not_found()
    return out


def set_group_info(t: Tenant, op: str, req: dict, now: int):
    info = req["groupInfoForSet"]
    if info is None:
        raise check("GroupInfoForSets is empty")
    require(info["groupID"], "GroupID is empty")
    _check_set_permission(t, op, info["groupID"], lookup=False)
    keys = ("groupName", "notification", "introduction", "faceURL", "ex", "needVerification",
            "lookMemberInfo", "applyMemberFriend")
    reply = cb.before("beforeSetGroupInfo", lambda: {
        "operationID": "", "groupID": info["groupID"],
        **{k: info[k] if info[k] is not None else ("" if k in keys[:5] else 0) for k in keys}})
    if reply is not None:   # §4.6: groupID, name, faceURL, introduction always replaced
        info = dict(info)
        for k in ("groupID", "groupName", "faceURL", "introduction"):
            info[k] = reply.get(k) or ""
        for k in ("ex", "needVerification", "lookMemberInfo", "applyMemberFriend"):
            if reply.get(k) is not None:
                info[k] = reply[k]
        if not info["groupID"]:
            raise not_found()
    g = _settable_group(t, info["groupID"])      # the reply's groupID, if it gave one
    changes = {k: info[k] for k in ("groupName", "notification", "introduction", "faceURL") if info[k]}
    for k in ("ex", "needVerification", "lookMemberInfo", "applyMemberFriend"):
        if info[k] is not None:
            changes[k] = info[k]
    if changes:
        _apply(t, g, changes, op, now)
    cb.after("afterSetGroupInfo", lambda: {"operationID": "", "groupID": info["groupID"],
                                           **{k: info[k] for k in keys}})
    return None


def dismiss_group(t: Tenant, op: str, req: dict, now: int):
    require(req["groupID"], "groupID is empty")
    g = t.groups.get(req["groupID"])
    if g is None or not g.owner:
        raise owner_not_found(req["groupID"])
    if not t.is_admin(op) and op != g.owner:
        raise no_permission("not group owner")
    if g.status == STATUS_DISMISSED and not req["deleteMember"]:
        raise OpenIMError(1204, detail="group status is dismissed")
    t.set_status(g, STATUS_DISMISSED)
    if req["deleteMember"]:
        msgs.members_left(t, g, list(g.members))   # no notification with deleteMember (2.12)
        for uid in list(g.members):
            t.remove_member(g, uid)
            t.joins_changed(uid, [g.groupID], V_DELETE)
    else:
        t.member_changed(g.groupID, [V_GROUP_CHANGE_ID], V_UPDATE)
        msgs.group_notify(t, op, g, msgs.GROUP_DISMISSED, now, req.get("sendMessage"))
    cb.after("afterDismissGroup", lambda: {"groupID": g.groupID, "ownerID": g.owner,
                                           "groupType": chr(g.groupType), "membersID": list(g.members)})
    return None


def _set_status(t: Tenant, op: str, gid: str, status: int, now: int) -> None:
    require(gid, "groupID is empty")
    check_group_admin(t, op, gid)
    g = take_group(t, gid)   # an admin op reaches the update, which matches no row: 1004
    t.set_status(g, status)  # dismissed status is not checked: muting overwrites 2 with 3
    t.member_changed(gid, [V_GROUP_CHANGE_ID], V_UPDATE)
    msgs.group_notify(t, op, g, msgs.GROUP_MUTED if status == STATUS_MUTED else msgs.GROUP_UNMUTED, now)


def mute_group(t: Tenant, op: str, req: dict, now: int):
    _set_status(t, op, req["groupID"], STATUS_MUTED, now)
    return None


def cancel_mute_group(t: Tenant, op: str, req: dict, now: int):
    _set_status(t, op, req["groupID"], STATUS_OK, now)
    return None


def transfer_group(t: Tenant, op: str, req: dict, now: int):
    gid, old, new = req["groupID"], req["oldOwnerUserID"], req["newOwnerUserID"]
    require(gid, "groupID is empty")
    require(old, "oldOwnerUserID is empty")
    require(new, "newOwnerUserID is empty")
    g = take_group(t, gid)
    not_dismissed(g)
    if old == new:
        raise args("OldOwnerUserID == NewOwnerUserID")
    missing = [u for u in dict.fromkeys([old, new]) if u not in g.members]
    if missing:
        raise args("user not in group " + ",".join(missing))
    old_m, new_m = g.members[old], g.members[new]
    if not t.is_admin(op) and not (op == old and old_m.roleLevel == OWNER):
        raise no_permission("no permission transfer group owner")
    was_muted = new_m.muteEndTime >= now
    if was_muted:
        new_m.muteEndTime = 0
    old_m.roleLevel, new_m.roleLevel = new_m.roleLevel, OWNER
    g.owner = new
    t.role_changed(g, old)
    t.role_changed(g, new)
    t.member_changed(gid, [V_SORT_CHANGE_ID, old, new], V_UPDATE)
    if was_muted:   # 1513 precedes 1507 when the new owner was muted (2.12)
        msgs.group_notify(t, op, g, msgs.MEMBER_UNMUTED, now, mutedUser=msgs._member(t, g, new))
    msgs.group_notify(t, op, g, msgs.OWNER_TRANSFERRED, now, oldGroupOwner=msgs._member(t, g, old),
                      newGroupOwner=msgs._member(t, g, new))
    cb.after("afterTransferGroupOwner", lambda: {"groupID": gid, "oldOwnerUserID": old, "newOwnerUserID": new})
    return None


def get_joined_group_list(t: Tenant, op: str, req: dict, now: int):
    """Owner groups first, then admin, then member; dismissed-but-kept groups stay (status 2)."""
    check_pagination(req["pagination"])
    uid = req["fromUserID"]
    require(uid, "fromUserID is empty")
    check_access(t, op, uid)
    joined, groups = t.user_groups.get(uid, {}), t.groups
    # owner groups, then admin groups, then the rest, each in join order (a stable sort by
    # role), read from the user's cached owner/admin groups and only as far as the page's end
    special = t.special_groups(uid)
    head = [gid for gid in special if groups[gid].members[uid].roleLevel == OWNER]
    head += [gid for gid in special if groups[gid].members[uid].roleLevel == ADMIN]
    rest = filterfalse(set(special).__contains__, joined)     # skipped in C up to the page
    page = paginate_iter(chain(head, rest), req["pagination"])
    return {"total": len(joined), "groups": [group_info(groups[gid]) for gid in page]}


def get_groups(t: Tenant, op: str, req: dict, now: int):
    """CMS search: by groupID, or groupName regex over non-dismissed groups, newest first.
    No admin check in v3.8.3 (any token)."""
    check_pagination(req["pagination"])     # the Check runs for a groupID search too (1.2)
    if req["groupID"]:
        found = [t.groups[req["groupID"]]] if req["groupID"] in t.groups else []
        total = len(found)
    else:
        import re
        try:
            pat = re.compile(req["groupName"])
        except re.error:
            raise OpenIMError(500, detail="invalid regular expression") from None
        live = (g for g in reversed(t.groups.values()) if g.status != STATUS_DISMISSED)
        if req["groupName"] == "":
            # no filter: the total is a count kept up to date and the page is read lazily, so
            # page 1 costs the same at 100 groups or 1,000,000
            total = len(t.groups) - t.dismissed_count
            found = paginate_iter(live, req["pagination"])
        else:   # a name search scans, as the server's regex query does
            matched = [g for g in live if pat.search(g.groupName)]
            total = len(matched)
            found = paginate(matched, req["pagination"])
    out = []
    for g in found:
        owner = g.members.get(g.owner)
        out.append({"groupInfo": group_info(g), "groupOwnerUserName": owner.nickname if owner else "",
                    "groupOwnerUserID": g.owner})
    return {"total": total, "groups": out}


def group_create_count(t: Tenant, op: str, req: dict, now: int):
    """/statistics/group/create: total, before start, and per-day counts in [start, end)."""
    from .provider import GoMap
    start, end = req["start"], req["end"]
    if start <= 0:
        raise check("start is invalid")
    if end <= 0:
        raise check("end is invalid")
    if start > end:
        raise args(wrap_msg("start > end: %d > %d", start, end))
    if t.setting("read_permission_checks"):     # v3.8.3 lets anyone count (14.1)
        check_admin(t, op)
    total = len(t.groups)
    before = sum(1 for g in t.groups.values() if g.createTime < start)
    count: dict = GoMap()
    for g in t.groups.values():
        if start <= g.createTime < end:
            day = datetime.fromtimestamp(g.createTime / 1000, timezone.utc).strftime("%Y-%m-%d")
            count[day] = count.get(day, 0) + 1
    return {"total": total, "before": before, "count": count}
