"""Membership: invite, kick, quit, join requests and their answers, member reads and edits
(reference openim.md section 5.3; [srv-p16] internal/rpc/group/group.go)."""

from __future__ import annotations

from .errors import (GROUP_ID_NOT_FOUND, GROUP_REQUEST_HANDLED, USER_ID_NOT_FOUND, OpenIMError,
                     args, no_permission, not_found)
from .models import (ADMIN, ORDINARY, OWNER, V_DELETE, V_INSERT, V_UPDATE, GroupRequest, Member,
                     Tenant)
from .models_common import (check_admin_or_in_group, check_group_admin, check_list_len,
                            check_member_quota,
                            member_info, member_page, not_dismissed, ordered_members, request_info,
                            take_group, take_member)
from .models_users import check_access, check_pagination, paginate

ALL_NEED_VERIFICATION, DIRECTLY = 1, 2      # constant.AllNeedVerification / Directly
JOIN_BY_INVITATION = 2
AGREE, REFUSE = 1, -1


def _add(t: Tenant, g, uids, now: int, op: str, inviter: str, source: int) -> None:
    for uid in uids:
        t.add_member(g, uid, Member(ORDINARY, now, joinSource=source, operatorUserID=op,
                                    inviterUserID=inviter))
        t.joins_changed(uid, [g.groupID], V_INSERT)
    t.member_changed(g.groupID, list(uids), V_INSERT)


def _remove(t: Tenant, g, uids) -> None:
    for uid in uids:
        t.remove_member(g, uid)
        t.joins_changed(uid, [g.groupID], V_DELETE)
    t.member_changed(g.groupID, list(uids), V_DELETE)


def _put_request(t: Tenant, gid: str, uid: str, r: GroupRequest) -> None:
    """CreateGroupRequest deletes the user's earlier request for the group, then inserts."""
    g = t.groups[gid]
    g.requests.pop(uid, None)
    g.requests[uid] = r
    idx = t.user_requests.setdefault(uid, {})
    idx.pop(gid, None)
    idx[gid] = None


def invite_user_to_group(t: Tenant, op: str, req: dict, now: int):
    gid, ids = req["groupID"], req["invitedUserIDs"]
    if gid == "":
        raise args("groupID is empty")
    if ids is None:
        raise args("invitedUserIDs is empty")
    check_list_len(ids, "InvitedUserIDs")
    if not ids:
        raise args("user empty")
    if len(set(ids)) != len(ids):
        raise args("userID duplicate")
    g = take_group(t, gid)
    not_dismissed(g, "group dismissed checking group status found it dismissed")
    op_m = g.members.get(op)
    if not t.is_admin(op) and op_m is None:
        raise no_permission("op user not in group")
    if any(uid not in t.users for uid in ids):
        raise not_found("user not found")
    if (g.needVerification == ALL_NEED_VERIFICATION and not t.is_admin(op)
            and op_m.roleLevel not in (OWNER, ADMIN)):
        for uid in ids:
            _put_request(t, gid, uid, GroupRequest("", now, JOIN_BY_INVITATION, op))
        return None
    existing = [uid for uid in ids if uid in g.members]
    if existing:
        if t.setting("quirk_invite_existing_member_500"):
            raise OpenIMError(500, detail=(
                "E11000 duplicate key error collection: openim_v3.group_member index: "
                f'group_id_1_user_id_1 dup key: {{ group_id: "{gid}", user_id: "{existing[0]}" }}'))
        ids = [uid for uid in ids if uid not in g.members]
    if ids:
        check_member_quota(t, g, len(ids))
        _add(t, g, ids, now, op, op, JOIN_BY_INVITATION)
    return None


def kick_group(t: Tenant, op: str, req: dict, now: int):
    gid, ids = req["groupID"], req["kickedUserIDs"]
    if gid == "":
        raise args("groupID is empty")
    if ids is None:
        raise args("kickUserIDs is empty")
    check_list_len(ids, "KickedUserIDs")
    g = take_group(t, gid)      # dismissed status is not checked here
    if not ids:
        raise args("KickedUserIDs empty")
    if len(set(ids)) != len(ids):
        raise args("KickedUserIDs duplicate")
    if op in ids:
        raise args("opUserID in KickedUserIDs")
    if g.owner in ids:
        raise args("ownerUID can not Kick")
    admin = t.is_admin(op)
    op_m = g.members.get(op)
    for uid in ids:
        m = g.members.get(uid)
        if m is None:
            raise OpenIMError(USER_ID_NOT_FOUND, detail=uid)
        if admin:
            continue
        if op_m is None:
            raise no_permission("opUserID no in group")
        if op_m.roleLevel == ADMIN and m.roleLevel in (OWNER, ADMIN):
            raise no_permission("group admins cannot remove the group owner and other admins")
        if op_m.roleLevel == ORDINARY:
            raise no_permission("opUserID no permission")
    _remove(t, g, ids)
    return None


def quit_group(t: Tenant, op: str, req: dict, now: int):
    uid = req["userID"] or op
    if req["userID"]:
        check_access(t, op, uid)
    m = take_member(t, req["groupID"], uid)
    if m.roleLevel == OWNER:
        raise no_permission("group owner can't quit")
    _remove(t, t.groups[req["groupID"]], [uid])
    return None


def join_group(t: Tenant, op: str, req: dict, now: int):
    gid, src = req["groupID"], req["joinSource"]
    if gid == "":
        raise args("groupID is empty")
    if not 1 <= src <= 4:
        raise args("joinSource is invalid")
    if src == JOIN_BY_INVITATION and req["inviterUserID"] == "":
        raise args("inviterUserID is empty")
    # v3.8.3 applies for inviterUserID, never for the op user (the SDK sends its own ID there).
    quirk = t.setting("quirk_join_group_inviter_is_applicant")
    applicant = req["inviterUserID"] if quirk else op
    inviter = req["inviterUserID"]
    if applicant not in t.users:
        raise not_found("record not found")
    g = take_group(t, gid)
    not_dismissed(g)
    if applicant in g.members:
        raise args()
    if g.needVerification == DIRECTLY:
        check_member_quota(t, g, 1)
        t.add_member(g, applicant, Member(ORDINARY, now, joinSource=0, operatorUserID=op,
                                          inviterUserID=inviter))
        t.joins_changed(applicant, [gid], V_INSERT)
        t.member_changed(gid, [applicant], V_INSERT)
        return None
    _put_request(t, gid, applicant, GroupRequest(req["reqMessage"], now, src,
                                                 "" if quirk else inviter, req["ex"]))
    return None


def group_application_response(t: Tenant, op: str, req: dict, now: int):
    result = req["handleResult"]
    if req["groupID"] == "":
        raise args("groupID is empty")
    if req["fromUserID"] == "":
        raise args("fromUserID is empty")
    if not -1 <= result <= 1:
        raise args("handleResult is invalid")
    if result not in (AGREE, REFUSE):
        raise args("HandleResult unknown")
    gid, uid = req["groupID"], req["fromUserID"]
    check_group_admin(t, op, gid)
    g = take_group(t, gid)
    r = g.requests.get(uid)
    if r is None:
        raise not_found()
    if r.handleResult != 0:
        raise OpenIMError(GROUP_REQUEST_HANDLED, detail="group request already processed")
    if uid not in t.users:
        raise not_found("user not found")
    if result == AGREE and uid not in g.members:
        check_member_quota(t, g, 1)
    r.handleResult, r.handledMsg, r.handleUserID, r.handledTime = result, req["handledMsg"], op, now
    if result == AGREE and uid not in g.members:
        t.add_member(g, uid, Member(ORDINARY, now, joinSource=r.joinSource, operatorUserID=op,
                                    inviterUserID=r.inviterUserID))
        t.joins_changed(uid, [gid], V_INSERT)
        t.member_changed(gid, [uid], V_INSERT)
    return None


def _page_requests(t: Tenant, pairs, handle_results, pagination):
    wanted = set(handle_results or [])
    rows = [(g, uid, g.requests[uid]) for g, uid in pairs
            if not wanted or g.requests[uid].handleResult in wanted]
    rows.sort(key=lambda row: -row[2].reqTime)   # newest first
    return len(rows), paginate(rows, pagination)


def get_recv_group_application_list(t: Tenant, op: str, req: dict, now: int):
    """v3.8.3 has no CheckAccess(fromUserID) here (main adds it)."""
    check_pagination(req["pagination"])
    if req["groupIDs"]:
        gids = list(dict.fromkeys(req["groupIDs"]))
        if not t.is_admin(op):
            for gid in gids:
                check_group_admin(t, op, gid)
        missing = [gid for gid in gids if gid not in t.groups]
    else:
        gids = [gid for gid in t.user_groups.get(req["fromUserID"], {})
                if t.groups[gid].members[req["fromUserID"]].roleLevel in (OWNER, ADMIN)]
        missing = []
    pairs = [(t.groups[gid], uid) for gid in gids if gid in t.groups for uid in t.groups[gid].requests]
    total, page = _page_requests(t, pairs, req["handleResults"], req["pagination"])
    if page and missing:
        raise OpenIMError(GROUP_ID_NOT_FOUND, detail=",".join(missing))
    return {"total": total, "groupRequests": [request_info(t, g, uid, r) for g, uid, r in page]}


def get_user_req_group_application_list(t: Tenant, op: str, req: dict, now: int):
    check_pagination(req["pagination"])
    uid = req["userID"]
    if uid not in t.users:
        raise not_found()
    only = set(req["groupIDs"] or [])
    pairs = [(t.groups[gid], uid) for gid in t.user_requests.get(uid, {}) if not only or gid in only]
    total, page = _page_requests(t, pairs, req["handleResults"], req["pagination"])
    return {"total": total, "groupRequests": [request_info(t, g, u, r) for g, u, r in page]}


def get_group_users_req_application_list(t: Tenant, op: str, req: dict, now: int):
    gid, ids = req["groupID"], req["userIDs"]
    if gid == "":
        raise args("GroupID is empty")
    if ids is None:
        raise args("UserID is empty")
    check_list_len(ids, "UserIDs")
    g = t.groups.get(gid)
    reqs = [(uid, g.requests[uid]) for uid in dict.fromkeys(ids) if g is not None and uid in g.requests]
    if not reqs:
        return {"total": 0, "groupRequests": []}
    # v3.8.3 fills userInfo only for users it did not find, so it is always null
    user = None if t.setting("quirk_users_req_list_null_user_info") else "lookup"
    return {"total": len(reqs), "groupRequests": [request_info(t, g, uid, r, user) for uid, r in reqs]}


def get_specified_user_group_request_info(t: Tenant, op: str, req: dict, now: int):
    gid, uid = req["groupID"], req["userID"]
    g = t.groups.get(gid)
    if g is None or not g.owner:
        raise OpenIMError(500)   # the server indexes owners[0] of an empty list and panics
    if uid != op:
        allowed = {u for u, m in g.members.items() if m.roleLevel == ADMIN} | {g.owner} | set(t.admins)
        if op not in allowed:
            raise no_permission("opUser no permission")
    r = g.requests.get(uid)
    if r is None:
        return {"total": 0, "groupRequests": []}
    return {"total": 1, "groupRequests": [request_info(t, g, uid, r)]}


def get_group_application_unhandled_count(t: Tenant, op: str, req: dict, now: int):
    uid = req["userID"]
    check_access(t, op, uid)
    count = 0
    for gid in t.user_groups.get(uid, {}):
        g = t.groups[gid]
        if g.members[uid].roleLevel in (OWNER, ADMIN):
            count += sum(1 for r in g.requests.values() if r.handleResult == 0 and r.reqTime >= req["time"])
    return {"count": count}


def get_group_members_info(t: Tenant, op: str, req: dict, now: int):
    gid, ids = req["groupID"], req["userIDs"]
    if gid == "":
        raise args("groupID is empty")
    if ids is None:
        raise args("userIDs is empty")
    if not ids:
        raise args("userIDs empty")
    check_admin_or_in_group(t, op, gid)
    g = t.groups.get(gid)
    members = g.members if g is not None else {}
    return {"members": [member_info(t, gid, uid, members[uid]) for uid in dict.fromkeys(ids) if uid in members]}


def get_group_member_list(t: Tenant, op: str, req: dict, now: int):
    """``filter`` is validated but otherwise ignored, as on the server."""
    gid = req["groupID"]
    if gid == "":
        raise args("groupID is empty")
    check_pagination(req["pagination"])
    if not 0 <= req["filter"] <= 5:
        raise args("filter is invalid")
    check_admin_or_in_group(t, op, gid)
    keyword = req["keyword"]
    if keyword:
        if t.setting("quirk_member_list_keyword_swap"):
            # SearchMember(keyword, groupID) called with the arguments swapped
            g, needle, profile = t.groups.get(keyword), gid, False
        else:
            g, needle, profile = t.groups.get(gid), keyword, True
        rows = []
        if g is not None:
            for uid, m in ordered_members(g):
                name = m.nickname or (t.users[uid].nickname if profile and uid in t.users else "")
                if needle in name:
                    rows.append((uid, m))
        total, page = len(rows), paginate(rows, req["pagination"])
    else:
        g = t.groups.get(gid)
        total, page = member_page(t, g, req["pagination"]) if g is not None else (0, [])
    return {"total": total, "members": [member_info(t, g.groupID, uid, m) for uid, m in page]}


def get_group_member_user_id(t: Tenant, op: str, req: dict, now: int):
    g = t.groups.get(req["groupID"])
    ids = list(g.members) if g is not None else []
    if not t.is_admin(op) and op not in ids:
        raise no_permission("opUser in ownerUserIDs")
    return {"userIDs": ids}


def _mute_check(t: Tenant, op: str, gid: str, uid: str, texts: tuple) -> Member:
    m = take_member(t, gid, uid)
    if not t.is_admin(op):
        op_m = take_member(t, gid, op)
        if m.roleLevel == OWNER:
            raise no_permission(texts[0])
        if m.roleLevel == ADMIN and op_m.roleLevel != OWNER:
            raise no_permission(texts[1])
        if m.roleLevel == ORDINARY and op_m.roleLevel not in (OWNER, ADMIN):
            raise no_permission(texts[2])
    return m


def mute_group_member(t: Tenant, op: str, req: dict, now: int):
    if req["mutedSeconds"] <= 0:
        raise args("mutedSeconds is empty")
    m = _mute_check(t, op, req["groupID"], req["userID"],
                    ("set group owner mute", "set group admin mute", "set group ordinary users mute"))
    m.muteEndTime = now + req["mutedSeconds"] * 1000
    t.member_changed(req["groupID"], [req["userID"]], V_UPDATE)
    return None


def cancel_mute_group_member(t: Tenant, op: str, req: dict, now: int):
    m = _mute_check(t, op, req["groupID"], req["userID"],
                    ("Can not set group owner unmute", "Can not set group admin unmute",
                     "Can not set group ordinary users unmute"))
    m.muteEndTime = 0
    t.member_changed(req["groupID"], [req["userID"]], V_UPDATE)
    return None
