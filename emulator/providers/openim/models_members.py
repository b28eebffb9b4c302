"""Membership: invite, kick, quit, join requests and their answers, member reads and edits
(reference openim.md section 5.3; [srv-p16] internal/rpc/group/group.go)."""

from __future__ import annotations

from . import callbacks as cb
from .errors import (ARGS, GROUP_ID_NOT_FOUND, GROUP_REQUEST_HANDLED, USER_ID_NOT_FOUND,
                     OpenIMError, args, check, duplicate_member, mongo_not_found, no_permission,
                     not_found, panic, wrapped)
from .models import (ADMIN, ORDINARY, OWNER, V_DELETE, V_INSERT, V_UPDATE, GroupRequest, Member,
                     Tenant)
from .models_common import (check_admin_or_in_group, check_group_admin, check_list_len,
                            check_member_quota,
                            member_info, member_page, not_dismissed, ordered_members, request_info,
                            require, take_group, take_member)
from .models_users import check_access, check_pagination, paginate
from . import models_messages as msgs

ALL_NEED_VERIFICATION, DIRECTLY = 1, 2      # constant.AllNeedVerification / Directly
JOIN_BY_INVITATION = 2
AGREE, REFUSE = 1, -1
MAX_SEQ_INVALID = "maxSeq is invalid"   # open-im-server #3750 (quirk_join_max_seq_invalid)


def _joined(t: Tenant) -> None:
    """After a member was added by invite, direct join or an accepted request: patch.16 as
    tagged calls SetConversationMaxSeq(0), which its pinned protocol refuses (webhooks ref 0.4)."""
    if t.setting("quirk_join_max_seq_invalid"):
        raise args(MAX_SEQ_INVALID)


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
    require(gid, "groupID is empty")
    if ids is None:
        raise check("invitedUserIDs is empty")
    check_list_len(ids, "InvitedUserIDs")
    if not ids:
        raise args("invitedUserIDs is empty")   # the RPC's Check sees [] as nil (1.4)
    if len(set(ids)) != len(ids):
        raise args("userID duplicate")
    g = take_group(t, gid)
    not_dismissed(g, "group dismissed checking group status found it dismissed")
    users = t.users
    for uid in ids:     # any(...) without a generator: one of these per invite
        if uid not in users:
            raise not_found("user not found")
    admin = t.is_admin(op)
    op_m = None if admin else take_member(t, gid, op)   # the op user comes last (5.1, 5.2)
    cb.before("beforeInviteUserToGroup", lambda: {"groupID": gid, "reason": req["reason"],
                                                  "invitedUserIDs": ids})   # refusal only, after the permission checks
    if (g.needVerification == ALL_NEED_VERIFICATION and not admin
            and op_m.roleLevel not in (OWNER, ADMIN)):
        for uid in ids:
            _put_request(t, gid, uid, GroupRequest("", now, JOIN_BY_INVITATION, op))
        for _ in ids:   # 1503 per invitation to the owner/admins and the inviting op (push-only, 2.12)
            msgs.single_push(t, op, msgs.managers(g) + [op], msgs.JOIN_APPLICATION, now, distinct=True, reqMsg="")
        return None
    members = g.members
    # ids has no duplicates (checked above): the non-members among them are distinct
    fresh = [uid for uid in ids if uid not in members]
    # with the quirk (the default) members stay in ids and fail at their chunk below
    some_members = len(fresh) != len(ids)
    if not t.setting("quirk_invite_existing_member_500"):
        ids = fresh
        some_members = False
    check_member_quota(t, g, len(fresh))
    joined = cb.member_overrides(cb.before("beforeMemberJoinGroup", lambda: {
        "groupID": gid, "memberList": [{"userID": u, "ex": ""} for u in ids], "groupEx": g.ex})) if ids else {}
    # v3.8.3 reads the op user only for non-admins: an admin's invitees record "" (5.3)
    records_op = not admin or t.setting("invite_by_admin_records_admin")
    by = op if records_op else ""
    size = t.setting("invite_chunk_size") or len(ids) or 1
    for start in range(0, len(ids), size):
        chunk = ids[start:start + size] if size < len(ids) else ids
        # only the quirk keeps members in ids (a webhook asked above adds none; earlier
        # chunks add only non-members of ids, and ids has no duplicates)
        dup = next((uid for uid in chunk if uid in members), None) if some_members else None
        if dup is not None:
            # an ordered insert without a transaction (standalone MongoDB): the invitees before
            # the duplicate stay, without their version-log bump (5.4, INFERRED)
            for uid in chunk[:chunk.index(dup)]:
                t.add_member(g, uid, Member(ORDINARY, now, joinSource=JOIN_BY_INVITATION,
                                            operatorUserID=by, inviterUserID=by))
            raise duplicate_member(gid, dup)
        _add(t, g, chunk, now, by, by, JOIN_BY_INVITATION)
        if joined:      # apply_member(m, None) changes nothing
            for uid in chunk:
                cb.apply_member(members[uid], joined.get(uid))
        msgs.members_joined(t, g, chunk)      # one 1509 per chunk (2.12)
        invited = {"invitedUserList": [msgs._op_user(t, g, u) for u in chunk]}
        if records_op:
            invited["inviterUser"] = msgs._op_user(t, g, op)
        msgs.notify(t, op, g, msgs.MEMBER_INVITED, now, req.get("sendMessage"), invited)
        _joined(t)
    return None


def kick_group(t: Tenant, op: str, req: dict, now: int):
    gid, ids = req["groupID"], req["kickedUserIDs"]
    require(gid, "groupID is empty")
    if ids is None:
        raise check("kickUserIDs is empty")
    check_list_len(ids, "KickedUserIDs")
    if not ids:
        raise args("kickUserIDs is empty")      # the RPC's Check sees [] as nil (1.4)
    g = take_group(t, gid)      # dismissed status is not checked here
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
    kicked = [msgs._member(t, g, u) for u in ids]
    msgs.members_left(t, g, ids)
    _remove(t, g, ids)
    msgs.group_notify(t, op, g, msgs.MEMBER_KICKED, now, req.get("sendMessage"), kickedUserList=kicked)
    cb.after("afterKickGroupMember", lambda: {"groupID": gid, "kickedUserIDs": ids, "reason": req["reason"]})
    return None


def quit_group(t: Tenant, op: str, req: dict, now: int):
    require(req["groupID"], "groupID is empty")
    uid = req["userID"] or op
    if req["userID"]:
        check_access(t, op, uid)
    m = take_member(t, req["groupID"], uid)
    if m.roleLevel == OWNER:
        raise no_permission("group owner can't quit")
    g = t.groups[req["groupID"]]
    quitter = msgs._member(t, g, uid)
    msgs.members_left(t, g, [uid])
    _remove(t, g, [uid])
    msgs.group_notify(t, op, g, msgs.MEMBER_QUIT, now, quitUser=quitter)
    cb.after("afterQuitGroup", lambda: {"groupID": req["groupID"], "userID": uid})
    return None


def join_group(t: Tenant, op: str, req: dict, now: int):
    gid, src = req["groupID"], req["joinSource"]
    require(gid, "groupID is empty")
    if not 1 <= src <= 4:
        raise check("joinSource is invalid")
    if src == JOIN_BY_INVITATION:
        require(req["inviterUserID"], "inviterUserID is empty")
    # v3.8.3 applies for inviterUserID, never for the op user (the SDK sends its own ID there).
    quirk = t.setting("quirk_join_group_inviter_is_applicant")
    applicant = req["inviterUserID"] if quirk else op
    inviter = req["inviterUserID"]
    if applicant not in t.users:
        raise not_found("record not found")
    g = take_group(t, gid)
    not_dismissed(g)
    cb.before("beforeApplyJoinGroup", lambda: {   # refusal only; groupType as a 1-character string
        "groupID": gid, "groupType": chr(g.groupType), "applyID": req["inviterUserID"],
        "reqMessage": req["reqMessage"], "ex": req["ex"]})
    if applicant in g.members:
        raise wrapped(ARGS)
    if g.needVerification == DIRECTLY:
        check_member_quota(t, g, 1)
        joined = cb.member_overrides(cb.before("beforeMemberJoinGroup", lambda: {
            "groupID": gid, "memberList": [{"userID": applicant, "ex": req["ex"]}], "groupEx": g.ex}))
        m = Member(ORDINARY, now, joinSource=0, operatorUserID=op, inviterUserID=inviter)
        cb.apply_member(m, joined.get(applicant))
        t.add_member(g, applicant, m)
        t.joins_changed(applicant, [gid], V_INSERT)
        t.member_changed(gid, [applicant], V_INSERT)
        msgs.members_joined(t, g, [applicant])
        msgs.group_notify(t, op, g, msgs.MEMBER_ENTER, now, entrantUser=msgs._member(t, g, applicant))
        _joined(t)
        cb.after("afterJoinGroup", lambda: {"groupID": gid, "reqMessage": req["reqMessage"],
                                            "joinSource": src, "inviterUserID": inviter})
        return None
    _put_request(t, gid, applicant, GroupRequest(req["reqMessage"], now, src,
                                                 "" if quirk else inviter, req["ex"]))
    if inviter in t.users:      # 1503 to owner/admins, the inviter and the op (push-only, 2.12)
        msgs.single_push(t, op, msgs.managers(g) + [inviter, op], msgs.JOIN_APPLICATION, now,
                         distinct=True, reqMsg=req["reqMessage"])
    return None


def group_application_response(t: Tenant, op: str, req: dict, now: int):
    result = req["handleResult"]
    require(req["groupID"], "groupID is empty")
    require(req["fromUserID"], "fromUserID is empty")
    if not -1 <= result <= 1:
        raise check("handleResult is invalid")
    if result not in (AGREE, REFUSE):
        raise args("HandleResult unknown")
    gid, uid = req["groupID"], req["fromUserID"]
    check_group_admin(t, op, gid)
    g = take_group(t, gid)
    r = g.requests.get(uid)
    if r is None:
        raise mongo_not_found()     # TakeGroupRequest
    if r.handleResult != 0:
        raise OpenIMError(GROUP_REQUEST_HANDLED, detail="group request already processed")
    if uid not in t.users:
        raise not_found("user not found")
    if result == AGREE and uid not in g.members:
        check_member_quota(t, g, 1)
    joined = cb.member_overrides(cb.before("beforeMemberJoinGroup", lambda: {
        "groupID": gid, "memberList": [{"userID": uid, "ex": r.ex}], "groupEx": g.ex})) \
        if result == AGREE and uid not in g.members else {}
    r.handleResult = result
    # 1505 / 1506 to owner/admins and the applicant (push-only, 2.12)
    msgs.single_push(t, op, msgs.managers(g) + [uid], msgs.APPLICATION_ACCEPTED if result == AGREE
                     else msgs.APPLICATION_REJECTED, now, handleMsg=req["handledMsg"])
    if not t.setting("quirk_request_handle_fields_lost"):
        # both tags write handle_msg where the model reads handled_msg, and never write the
        # handler or the time: the request reads back "", "", 0 (7.4)
        r.handledMsg, r.handleUserID, r.handledTime = req["handledMsg"], op, now
    if result == AGREE and uid not in g.members:
        m = Member(ORDINARY, now, joinSource=r.joinSource, operatorUserID=op, inviterUserID=r.inviterUserID)
        cb.apply_member(m, joined.get(uid))
        t.add_member(g, uid, m)
        t.joins_changed(uid, [gid], V_INSERT)
        t.member_changed(gid, [uid], V_INSERT)
        msgs.members_joined(t, g, [uid])
        if r.inviterUserID:     # 1509 for an invited applicant, else 1510 (2.12)
            msgs.group_notify(t, op, g, msgs.MEMBER_INVITED, now,
                              invitedUserList=[msgs._member(t, g, uid)])
        else:
            msgs.group_notify(t, op, g, msgs.MEMBER_ENTER, now, entrantUser=msgs._member(t, g, uid))
        _joined(t)
    return None


def _page_requests(t: Tenant, pairs, handle_results, pagination, by_ids: bool = False):
    """patch.16 filters on handleResults and sorts by reqTime desc; v3.8.3 has no filter and no
    sort: ``by_ids`` = the (group_id, user_id) index order, else insertion order (7.7)."""
    wanted = set(handle_results or []) if t.setting("application_list_filters") else set()
    rows = [(g, uid, g.requests[uid]) for g, uid in pairs
            if not wanted or g.requests[uid].handleResult in wanted]
    if t.setting("application_lists_newest_first"):
        rows.sort(key=lambda row: -row[2].reqTime)
    elif by_ids:
        rows.sort(key=lambda row: (row[0].groupID, row[1]))
    return len(rows), paginate(rows, pagination)


def get_recv_group_application_list(t: Tenant, op: str, req: dict, now: int):
    """No CheckAccess(fromUserID) in either tag (main adds it)."""
    check_pagination(req["pagination"])
    require(req["fromUserID"], "fromUserID is empty")
    if req["groupIDs"] and t.setting("application_list_filters"):
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
    total, page = _page_requests(t, pairs, req["handleResults"], req["pagination"], by_ids=True)
    if page and missing:
        raise OpenIMError(GROUP_ID_NOT_FOUND, detail=",".join(missing))
    return {"total": total, "groupRequests": [request_info(t, g, uid, r) for g, uid, r in page]}


def get_user_req_group_application_list(t: Tenant, op: str, req: dict, now: int):
    uid = req["userID"]
    require(uid, "UserID is empty")
    check_pagination(req["pagination"])
    if uid not in t.users:
        raise not_found("record not found")     # pkg/rpcli's text for a missing user
    only = set(req["groupIDs"] or []) if t.setting("application_list_filters") else set()
    pairs = [(t.groups[gid], uid) for gid in t.user_requests.get(uid, {}) if not only or gid in only]
    total, page = _page_requests(t, pairs, req["handleResults"], req["pagination"])
    return {"total": total, "groupRequests": [request_info(t, g, u, r) for g, u, r in page]}


def get_group_users_req_application_list(t: Tenant, op: str, req: dict, now: int):
    gid, ids = req["groupID"], req["userIDs"]
    require(gid, "GroupID is empty")
    if ids is None:
        raise check("UserID is empty")
    check_list_len(ids, "UserIDs")
    if not ids:
        raise args("UserID is empty")       # the RPC's Check sees [] as nil (1.4)
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
        if uid == op:       # no permission lookup for one's own request (7.9)
            return {"total": 0, "groupRequests": []}
        raise panic("runtime error: index out of range [0] with length 0")   # owners[0]
    if uid != op:
        allowed = {u for u, m in g.members.items() if m.roleLevel == ADMIN} | {g.owner} | set(t.admins)
        if op not in allowed:
            raise no_permission("opUser no permission")
    r = g.requests.get(uid)
    if r is None:
        return {"total": 0, "groupRequests": []}
    return {"total": 1, "groupRequests": [request_info(t, g, uid, r)]}


def get_group_application_unhandled_count(t: Tenant, op: str, req: dict, now: int):
    """``time`` 0 counts all; otherwise reqTime strictly after it (mgo/group_request.go)."""
    uid, since = req["userID"], req["time"]
    check_access(t, op, uid)
    count = 0
    for gid in t.user_groups.get(uid, {}):
        g = t.groups[gid]
        if g.members[uid].roleLevel in (OWNER, ADMIN):
            count += sum(1 for r in g.requests.values()
                         if r.handleResult == 0 and (not since or r.reqTime > since))
    return {"count": count}


def get_group_members_info(t: Tenant, op: str, req: dict, now: int):
    gid, ids = req["groupID"], req["userIDs"]
    require(gid, "groupID is empty")
    if ids is None:
        raise check("userIDs is empty")
    if not ids:
        raise args("userIDs is empty")      # the RPC's Check sees [] as nil (1.4)
    check_admin_or_in_group(t, op, gid)
    g = t.groups.get(gid)
    members = g.members if g is not None else {}
    return {"members": [member_info(t, gid, uid, members[uid]) for uid in dict.fromkeys(ids) if uid in members]}


def get_group_member_list(t: Tenant, op: str, req: dict, now: int):
    """``filter`` is validated but otherwise ignored, as on the server."""
    gid = req["groupID"]
    require(gid, "groupID is empty")
    check_pagination(req["pagination"])
    if not 0 <= req["filter"] <= 5:
        raise check("filter is invalid")
    check_admin_or_in_group(t, op, gid)
    keyword = req["keyword"]
    if keyword:
        rows = []
        if t.setting("quirk_member_list_keyword_swap"):
            # patch.16: SearchMember(keyword, groupID) called with the arguments swapped (12.2)
            g = t.groups.get(keyword)
            if g is not None:
                rows = [(uid, m) for uid, m in ordered_members(g) if gid in m.nickname]
        else:
            # v3.8.3: an exact match of the userID or the nickname (filled from the profile)
            g = t.groups.get(gid)
            for uid, m in ordered_members(g) if g is not None else ():
                name = m.nickname or (t.users[uid].nickname if uid in t.users else "")
                if keyword in (uid, name):
                    rows.append((uid, m))
        total, page = len(rows), paginate(rows, req["pagination"])
    else:
        g = t.groups.get(gid)
        total, page = member_page(t, g, req["pagination"]) if g is not None else (0, [])
    return {"total": total, "members": [member_info(t, g.groupID, uid, m) for uid, m in page]}


def get_group_member_user_id(t: Tenant, op: str, req: dict, now: int):
    require(req["groupID"], "GroupID is empty")
    g = t.groups.get(req["groupID"])
    ids = list(g.members) if g is not None else []
    if not t.is_admin(op) and op not in ids and t.setting("read_permission_checks"):
        raise no_permission("opUser no permission")
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
    require(req["groupID"], "groupID is empty")
    require(req["userID"], "userID is empty")
    if req["mutedSeconds"] <= 0:
        raise check("mutedSeconds is empty")
    m = _mute_check(t, op, req["groupID"], req["userID"],
                    ("set group owner mute", "set group admin mute", "set group ordinary users mute"))
    m.muteEndTime = now + req["mutedSeconds"] * 1000
    t.member_changed(req["groupID"], [req["userID"]], V_UPDATE)
    g = t.groups[req["groupID"]]
    msgs.group_notify(t, op, g, msgs.MEMBER_MUTED, now, mutedUser=msgs._member(t, g, req["userID"]),
                      mutedSeconds=req["mutedSeconds"])
    return None


def cancel_mute_group_member(t: Tenant, op: str, req: dict, now: int):
    require(req["groupID"], "groupID is empty")
    require(req["userID"], "userID is empty")
    m = _mute_check(t, op, req["groupID"], req["userID"],
                    ("Can not set group owner unmute", "Can not set group admin unmute",
                     "Can not set group ordinary users unmute"))
    m.muteEndTime = 0
    t.member_changed(req["groupID"], [req["userID"]], V_UPDATE)
    g = t.groups[req["groupID"]]
    msgs.group_notify(t, op, g, msgs.MEMBER_UNMUTED, now, mutedUser=msgs._member(t, g, req["userID"]))
    return None
