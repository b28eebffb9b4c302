"""Group members: add / import / delete / modify / query, unread counts, mutes and bans
(v4/group_open_http_svc, reference tencent.md §3.3-4.5).

Validation happens against current state before any change, so a refused request leaves the
group untouched. Per-member outcomes use Tencent's Result codes: 0 failed, 1 added, 2 already
a member.
"""

from __future__ import annotations

from itertools import islice

from . import callbacks as cb
from .errors import TencentError
from .handlers_common import check_batch, kv_dict, member_info, mute_until
from .models import PERMANENT, App, Group, Member

RESULT_FAILED, RESULT_ADDED, RESULT_ALREADY = 0, 1, 2


def _no_av(g: Group, command: str) -> None:
    if g.Type == "AVChatRoom":
        raise TencentError(10007, f"{command} does not support AVChatRoom")


def _room_for(g: Group, adding: int) -> None:
    """A full group refuses the whole request (10014)."""
    if g.MaxMemberNum and len(g.members) + adding > g.MaxMemberNum:
        raise TencentError(10014, f"group is full: {len(g.members)}/{g.MaxMemberNum}")


def _plan_add(call):
    app, data = call.tenant, call.data
    g = app.group(data["GroupId"])
    _no_av(g, "add_group_member")
    items = data["MemberList"]
    if not items:
        raise TencentError(10004, "MemberList is empty")
    check_batch(app, "add_group_member", len(items))
    accounts = [i["Member_Account"] for i in items]
    app.require_accounts(accounts)
    fresh = {a: None for a in accounts if a not in g.members}
    return g, accounts, fresh


def _room_or_full_callback(call, g: Group, adding: int) -> None:
    """10014 when the adds do not fit; Group.CallbackAfterGroupFull fires for that too (§13.5)."""
    try:
        _room_for(g, adding)
    except TencentError:
        h = cb.hook(call, "Group.CallbackAfterGroupFull", {"GroupId": g.GroupId})
        if h is not None:
            call.provider.callbacks.enqueue([h])
        raise


def h_add_group_member(call):
    """add_group_member: not AVChatRoom (10007), <= limits.add_group_member (300) -> 10005,
    members must be imported (10019), Result 1 added / 2 already a member. The app's
    Group.CallbackBeforeInviteJoinGroup may refuse the call or some members (§13.5)."""
    g, accounts, fresh = _plan_add(call)
    _room_or_full_callback(call, g, len(fresh))
    before = cb.hook(call, "Group.CallbackBeforeInviteJoinGroup", {
        "GroupId": g.GroupId, "Type": g.Type, "Operator_Account": call.caller,
        "DestinationMembers": [{"Member_Account": a} for a in fresh]}) if fresh else None

    def apply(outcome):
        nonlocal g, accounts, fresh
        reply = cb.decide(outcome, before)
        if outcome is not None:        # re-check what the wait could have changed
            g, accounts, fresh = _plan_add(call)
            _room_or_full_callback(call, g, len(fresh))
        refused = set((reply or {}).get("RefusedMembers_Account") or ())
        return _add(call, g, accounts, fresh, refused)
    return cb.ask(before, apply)


def _add(call, g: Group, accounts: list, fresh: dict, refused: set) -> dict:
    app, now = call.tenant, call.now
    results, added = [], []
    for a in accounts:
        if a in fresh and a in refused:
            del fresh[a]
            results.append({"Member_Account": a, "Result": RESULT_FAILED})
        elif a in fresh:
            app.add_member(g, a, Member(Role="Member", JoinTime=int(now)))
            del fresh[a]
            added.append(a)
            results.append({"Member_Account": a, "Result": RESULT_ADDED})
        else:
            results.append({"Member_Account": a, "Result": RESULT_FAILED if a in refused else RESULT_ALREADY})
    if added:
        cb.emit(call, "Group.CallbackAfterNewMemberJoin", {
            "GroupId": g.GroupId, "Type": g.Type, "JoinType": "Invited", "Operator_Account": call.caller,
            "NewMemberList": [{"Member_Account": a} for a in added]})
        if g.MaxMemberNum and len(g.members) >= g.MaxMemberNum:
            cb.emit(call, "Group.CallbackAfterGroupFull", {"GroupId": g.GroupId})
    return {"MemberList": results}


def h_import_group_member(call) -> dict:
    """import_group_member: not AVChatRoom (10007), <= limits.import_group_member (300, seed
    004) -> 10005; a JoinTime outside [CreateTime, now] fails that member (Result 0); an
    UnreadMsgNum above the group's message count is clamped."""
    app, data, now = call.tenant, call.data, call.now
    g = app.group(data["GroupId"])
    _no_av(g, "import_group_member")
    items = data["MemberList"]
    if not items:
        raise TencentError(10004, "MemberList is empty")
    check_batch(app, "import_group_member", len(items))
    app.require_accounts(i["Member_Account"] for i in items)
    plan, seen = [], set()
    for item in items:
        a = item["Member_Account"]
        join = item.get("JoinTime", int(now))
        if a in g.members or a in seen:
            plan.append((a, RESULT_ALREADY, item))
        elif not g.CreateTime <= join <= now:
            plan.append((a, RESULT_FAILED, item))
        else:
            seen.add(a)
            plan.append((a, RESULT_ADDED, item))
    _room_for(g, len(seen))
    messages = max(g.NextMsgSeq - 1, 0)
    for a, result, item in plan:
        if result == RESULT_ADDED:
            app.add_member(g, a, Member(Role=item.get("Role", "Member"),
                                        JoinTime=item.get("JoinTime", int(now)),
                                        UnreadMsgNum=min(item.get("UnreadMsgNum", 0), messages)))
    return {"MemberList": [{"Member_Account": a, "Result": r} for a, r, _ in plan]}


def h_delete_group_member(call) -> dict:
    """delete_group_member: <= limits.delete_group_member; the owner cannot be removed (10004),
    and when the caller is the owner removing itself that is quitting (10009). Accounts that are
    not members are ignored."""
    app, data = call.tenant, call.data
    g = app.group(data["GroupId"])
    accounts = data["MemberToDel_Account"]
    if not accounts:
        raise TencentError(10004, "MemberToDel_Account is empty")
    check_batch(app, "delete_group_member", len(accounts))
    if g.Owner_Account and g.Owner_Account in accounts:
        if g.Owner_Account == call.caller:
            raise TencentError(10009)
        raise TencentError(10004, "the group owner cannot be removed")
    gone = [a for a in dict.fromkeys(accounts) if a in g.members]
    for a in gone:
        app.remove_member(g, a)
    if gone:
        cb.emit(call, "Group.CallbackAfterMemberExit", {
            "GroupId": g.GroupId, "Type": g.Type, "ExitType": "Kicked", "Operator_Account": call.caller,
            "ExitMemberList": [{"Member_Account": a} for a in gone]})
    return {}


def _member(app: App, g: Group, account: str) -> Member:
    if account not in app.accounts:
        raise TencentError(10019, f"account {account} not imported")
    m = g.members.get(account)
    if m is None:
        raise TencentError(10004, f"{account} is not a group member")
    return m


def h_modify_group_member_info(call) -> dict:
    """modify_group_member_info: Role Admin/Member (not of the owner), MsgFlag, NameCard
    (<= 50 bytes), AppMemberDefinedData, MuteTime (seconds, 0 unmutes)."""
    app, data, now = call.tenant, call.data, call.now
    g = app.group(data["GroupId"])
    account = data["Member_Account"]
    if g.Type == "AVChatRoom":
        if "MuteTime" not in data or len(data) > 3:
            raise TencentError(10007, "AVChatRoom members only support MuteTime")
        if account not in app.accounts:
            raise TencentError(10019, f"account {account} not imported")
        _set_mute(g, account, data["MuteTime"], now)
        return {}
    m = _member(app, g, account)
    if "Role" in data:
        if m.Role == "Owner":
            raise TencentError(10004, "the owner's role cannot be changed")
        if g.Type == "AVChatRoom":
            raise TencentError(10007, "AVChatRoom has no admins")
    for name in ("Role", "MsgFlag", "NameCard"):
        if name in data:
            setattr(m, name, data[name])
    if "AppMemberDefinedData" in data:
        merged = dict(m.AppMemberDefinedData or {})
        for k, v in kv_dict(data["AppMemberDefinedData"]).items():
            if v == "":
                merged.pop(k, None)
            else:
                merged[k] = v
        m.AppMemberDefinedData = merged or None
    g.members_changed()
    if "MuteTime" in data:
        _set_mute(g, account, data["MuteTime"], now)
    return {}


def _set_mute(g: Group, account: str, seconds: int, now: float) -> None:
    if seconds == 0:
        g.muted.pop(account, None)
    else:
        g.muted[account] = PERMANENT if seconds == PERMANENT else int(now) + seconds


def _select_members(g: Group, data: dict):
    roles = data.get("MemberRoleFilter")
    if not roles:
        return g.members.items()
    wanted = set(roles)
    return [(a, m) for a, m in g.members.items() if m.Role in wanted]


def h_get_group_member_info(call) -> dict:
    """get_group_member_info: Limit (<= 6000) / Offset paging, MemberInfoFilter,
    MemberRoleFilter, AppDefinedDataFilter_GroupMember; Community pages with Next."""
    app, data, now = call.tenant, call.data, call.now
    g = app.group(data["GroupId"])
    if g.Type == "AVChatRoom":
        raise TencentError(10007, "AVChatRoom member lists are not available")
    max_limit = app.limits["get_group_member_info"]
    limit = data.get("Limit") or max_limit
    if limit > max_limit:
        raise TencentError(10004, f"Limit must not exceed {max_limit}")
    community = g.Type == "Community"
    if community:
        nxt = data.get("Next") or "0"
        if not nxt.isdigit():
            raise TencentError(10004, "invalid Next")
        offset = int(nxt)
    else:
        offset = data.get("Offset", 0)
    chosen = _select_members(g, data)
    total = len(chosen)
    wanted = set(data["MemberInfoFilter"]) if data.get("MemberInfoFilter") else None
    keys = data.get("AppDefinedDataFilter_GroupMember")
    # islice: a page costs O(offset + limit), never a copy of the whole member list
    page = islice(chosen, offset, offset + limit)
    out = {"MemberNum": len(g.members),
           "MemberList": [member_info(g, a, m, now, wanted, keys) for a, m in page]}
    _online_column(app, out["MemberList"], wanted)
    if community:
        out["Next"] = str(offset + limit) if offset + limit < total else ""
    return out


def h_get_specified_group_member_info(call) -> dict:
    """get_specified_group_member_info: the listed members only (non-members are skipped)."""
    app, data, now = call.tenant, call.data, call.now
    g = app.group(data["GroupId"])
    accounts = data["Member_List_Account"]
    check_batch(app, "get_specified_group_member_info", len(accounts))
    wanted = set(data["MemberInfoFilter"]) if data.get("MemberInfoFilter") else None
    keys = data.get("AppDefinedDataFilter_GroupMember")
    rows = [member_info(g, a, g.members[a], now, wanted, keys)
            for a in dict.fromkeys(accounts) if a in g.members]
    _online_column(app, rows, wanted)
    return {"MemberList": rows}


def _online_column(app, rows: list, wanted) -> None:
    """``OnlineStatus`` (Online / Offline, from presence: users §14.2) when MemberInfoFilter asks
    for it; whether the real service adds it unasked is UNKNOWN, so it is left out then."""
    if wanted is None or "OnlineStatus" not in wanted:
        return
    for row in rows:
        row["OnlineStatus"] = "Online" if app.presence.is_online(row["Member_Account"]) else "Offline"


def h_set_unread_msg_num(call) -> dict:
    """set_unread_msg_num: clamped to the group's message count, like import_group_member."""
    app, data = call.tenant, call.data
    g = app.group(data["GroupId"])
    _no_av(g, "set_unread_msg_num")
    m = _member(app, g, data["Member_Account"])
    m.UnreadMsgNum = min(data["UnreadMsgNum"], max(g.NextMsgSeq - 1, 0))
    return {}


def h_forbid_send_msg(call) -> dict:
    """forbid_send_msg: not for Private/Work (10007); <= limits.forbid_send_msg (500) -> 10005;
    MuteTime seconds, 0 unmutes, 4294967295 forever. Outside AVChatRoom every account must be
    a member (10004)."""
    app, data, now = call.tenant, call.data, call.now
    g = app.group(data["GroupId"])
    if g.Type == "Private":
        raise TencentError(10007, "forbid_send_msg does not support Private (Work) groups")
    accounts = data["Members_Account"]
    if not accounts:
        raise TencentError(10004, "Members_Account is empty")
    check_batch(app, "forbid_send_msg", len(accounts))
    app.require_accounts(accounts)
    if g.Type != "AVChatRoom":
        for a in accounts:
            if a not in g.members:
                raise TencentError(10004, f"{a} is not a group member")
    for a in accounts:
        _set_mute(g, a, data["MuteTime"], now)
    return {}


def _muted(g: Group, now: float) -> list:
    return [(a, t) for a, t in g.muted.items() if t > now]


def h_get_group_muted_account(call) -> dict:
    """get_group_muted_account: accounts whose mute has not expired, with MutedUntil."""
    g = call.tenant.group(call.data["GroupId"])
    return {"GroupId": g.GroupId,
            "MutedAccountList": [{"Member_Account": a, "MutedUntil": t} for a, t in _muted(g, call.now)]}


def h_get_group_shutted_uin(call) -> dict:
    """The old name of get_group_muted_account, with its old field names."""
    g = call.tenant.group(call.data["GroupId"])
    return {"GroupId": g.GroupId,
            "ShuttedUinList": [{"Member_Account": a, "ShuttedUntil": t} for a, t in _muted(g, call.now)]}


def h_ban_group_member(call) -> dict:
    """ban_group_member: AVChatRoom only (10007); <= limits.ban_group_member; Duration seconds."""
    app, data, now = call.tenant, call.data, call.now
    g = app.group(data["GroupId"])
    if g.Type != "AVChatRoom":
        raise TencentError(10007, "ban_group_member is only for AVChatRoom")
    accounts = data["Members_Account"]
    if not accounts:
        raise TencentError(10004, "Members_Account is empty")
    check_batch(app, "ban_group_member", len(accounts))
    app.require_accounts(accounts)
    if data["Duration"] == 0:
        raise TencentError(10004, "Duration must be positive")
    for a in accounts:
        g.banned[a] = PERMANENT if data["Duration"] == PERMANENT else int(now) + data["Duration"]
    return {}


def h_unban_group_member(call) -> dict:
    """unban_group_member: AVChatRoom only (10007)."""
    app, data = call.tenant, call.data
    g = app.group(data["GroupId"])
    if g.Type != "AVChatRoom":
        raise TencentError(10007, "unban_group_member is only for AVChatRoom")
    check_batch(app, "ban_group_member", len(data["Members_Account"]))
    for a in data["Members_Account"]:
        g.banned.pop(a, None)
    return {}


def h_get_group_ban_member(call) -> dict:
    """get_group_ban_member: live bans, Offset/Limit (<= limits.get_group_ban_member)."""
    app, data, now = call.tenant, call.data, call.now
    g = app.group(data["GroupId"])
    if g.Type != "AVChatRoom":
        raise TencentError(10007, "get_group_ban_member is only for AVChatRoom")
    max_limit = app.limits["get_group_ban_member"]
    limit = data.get("Limit", max_limit)
    if limit > max_limit:
        raise TencentError(10004, f"Limit must not exceed {max_limit}")
    live = [(a, t) for a, t in g.banned.items() if t > now]
    offset = data["Offset"]
    page = live[offset:offset + limit]
    return {"BannedAccountList": [{"Member_Account": a, "BannedUntil": t} for a, t in page],
            "NextOffset": offset + limit if offset + limit < len(live) else 0}


__all__ = [n for n in dict(globals()) if n.startswith("h_")] + ["mute_until"]
