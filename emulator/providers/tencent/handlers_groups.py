"""Group lifecycle and group-level queries (v4/group_open_http_svc, reference tencent.md §3-4).

Each handler validates everything against the current state first, then mutates: a request
takes effect whole or not at all.
"""

from __future__ import annotations

import sys
from itertools import islice

from . import callbacks as cb
from .errors import TencentError
from .handlers_common import (base_info, check_batch, check_custom_group_id, kv_dict,
                              member_info, member_rows)
from .legacy import LEGACY_MEMBER_FIELDS
from .models import TYPE_ALIASES, App, Group, Member

IMPORT_DEFAULT_MAX_MEMBERS = 2000   # §3.3 import_group: MaxMemberCount default 2000, max 6000


def _topic_fields(gtype: str, data: dict) -> None:
    """§4.5: SupportTopic / EnablePermission / DefaultPermission are for Community only."""
    if gtype != "Community":
        for name in ("SupportTopic", "EnablePermission"):
            if data.get(name):
                raise TencentError(10004, f"{name} is only supported by Community groups")
        if data.get("DefaultPermission"):
            raise TencentError(10004, "DefaultPermission is only supported by Community groups")
    elif data.get("EnablePermission") and not data.get("SupportTopic"):
        raise TencentError(10004, "EnablePermission needs SupportTopic=1")
    if data.get("DefaultPermission") and not data.get("EnablePermission"):
        raise TencentError(10004, "DefaultPermission needs EnablePermission=1")


def _new_group(app: App, data: dict, caller: str, now: float, default_max: int | None) -> Group:
    """The group described by a create_group / import_group body (not yet stored)."""
    gtype = TYPE_ALIASES.get(data["Type"], data["Type"])
    owner = data.get("Owner_Account") or ""
    if owner and owner not in app.accounts:
        raise TencentError(10004, "invalid owner id")
    gid = data.get("GroupId")
    if gid:
        check_custom_group_id(gid, gtype)
        existing = app.groups.get(gid)
        if existing is not None:
            raise TencentError(10025 if existing.Owner_Account == caller else 10021)
    else:
        gid = app.new_group_id(gtype)
    _topic_fields(gtype, data)
    if gtype == "AVChatRoom" and "InviteJoinOption" in data:
        raise TencentError(10004, "InviteJoinOption is not supported by AVChatRoom")
    cap = app.cap_for(gtype)
    max_members = data.get("MaxMemberCount")
    if max_members is not None and max_members > cap:
        raise TencentError(10004, f"MaxMemberCount exceeds {cap}")
    if gtype == "AVChatRoom":
        max_members = 0            # unlimited (§4.2)
    elif max_members is None:
        max_members = default_max if default_max is not None else app.max_members.get(gtype, cap)
        max_members = min(max_members, cap)
    g = Group(GroupId=gid, Type=gtype, Name=data["Name"], Owner_Account=owner,
              CreateTime=int(now), MaxMemberNum=max_members, LastInfoTime=int(now))
    for name in ("Introduction", "Notification", "FaceUrl", "SupportTopic", "EnablePermission",
                 "DefaultPermission"):
        if name in data:
            setattr(g, name, data[name])
    g.ApplyJoinOption = data.get("ApplyJoinOption", "FreeAccess" if gtype == "AVChatRoom" else "NeedPermission")
    g.InviteJoinOption = data.get("InviteJoinOption", {"AVChatRoom": "DisableInvite",
                                                       "Private": "FreeAccess"}.get(gtype, "NeedPermission"))
    g.AppDefinedData = kv_dict(data.get("AppDefinedData"))
    return g


def create_group(app: App, data: dict, caller: str, now: float) -> dict:
    """create_group: MemberList <= limits.create_group_members (100), AVChatRoom takes none
    (10007), owner must be imported (10004 'invalid owner id'), members too (10019)."""
    g = plan_create_group(app, data, caller, now)
    app.add_group(g)
    return {"GroupId": g.GroupId}


def plan_create_group(app: App, data: dict, caller: str, now: float) -> Group:
    """The group create_group would store, checked against the state but not stored."""
    members = data.get("MemberList") or []
    g = _new_group(app, data, caller, now, None)
    if members and g.Type == "AVChatRoom":
        raise TencentError(10007, "AVChatRoom does not accept a MemberList")
    check_batch(app, "create_group_members", len(members))
    app.require_accounts(m["Member_Account"] for m in members)
    if g.Owner_Account and g.Type != "AVChatRoom":
        g.members[sys.intern(g.Owner_Account)] = Member(Role="Owner", JoinTime=int(now))
    for item in members:
        account = item["Member_Account"]
        if account in g.members:
            continue
        join = item.get("JoinTime")
        m = Member(Role=item.get("Role", "Member"),
                   JoinTime=join if join and 0 < join <= now else int(now),
                   MsgFlag=item.get("MsgFlag", "AcceptAndNotify"), NameCard=item.get("NameCard", ""))
        if item.get("AppMemberDefinedData"):
            m.AppMemberDefinedData = kv_dict(item["AppMemberDefinedData"])
        g.members[sys.intern(account)] = m    # one string per account (see App.add_member)
    if g.MaxMemberNum and len(g.members) > g.MaxMemberNum:
        raise TencentError(10014, f"{len(g.members)} members exceed MaxMemberCount {g.MaxMemberNum}")
    app.check_group_quota()
    return g


def h_create_group(call):
    """Group.CallbackBeforeCreateGroup may refuse (§13.5); after the wait the plan is made again,
    so a group id taken or an account deleted meanwhile fails the request whole."""
    app, data = call.tenant, call.data
    g = plan_create_group(app, data, call.caller, call.now)
    members = [{"Member_Account": m["Member_Account"]} for m in data.get("MemberList") or []]
    before = cb.hook(call, "Group.CallbackBeforeCreateGroup", {
        "Operator_Account": call.caller, "Owner_Account": g.Owner_Account, "Type": g.Type,
        "Name": g.Name, "MemberList": members})

    def apply(outcome):
        cb.decide(outcome, before)
        g2 = g if outcome is None else plan_create_group(app, data, call.caller, call.now)
        app.add_group(g2)
        cb.emit(call, "Group.CallbackAfterCreateGroup", {
            "GroupId": g2.GroupId, "Operator_Account": call.caller, "Owner_Account": g2.Owner_Account,
            "Type": g2.Type, "Name": g2.Name, "MemberList": members})
        return {"GroupId": g2.GroupId}
    return cb.ask(before, apply)


def h_import_group(call) -> dict:
    """import_group: not for AVChatRoom (10007); CreateTime defaults to now, not in the future."""
    app, data, now = call.tenant, call.data, call.now
    if TYPE_ALIASES.get(data["Type"], data["Type"]) == "AVChatRoom":
        raise TencentError(10007, "import_group does not support AVChatRoom")
    created = data.get("CreateTime")
    if created is not None and created > now:
        raise TencentError(10004, "CreateTime is in the future")
    g = _new_group(app, data, call.caller, now, IMPORT_DEFAULT_MAX_MEMBERS)
    if created is not None:
        g.CreateTime = g.LastInfoTime = created
    if g.Owner_Account:
        g.members[g.Owner_Account] = Member(Role="Owner", JoinTime=g.CreateTime)
    app.check_group_quota()
    app.add_group(g)
    return {"GroupId": g.GroupId}


def h_get_appid_group_list(call) -> dict:
    """get_appid_group_list: Limit <= limits.get_appid_group_list (10000), Next pages on."""
    app, data = call.tenant, call.data
    max_limit = app.limits["get_appid_group_list"]
    limit = data.get("Limit", max_limit)
    if limit > max_limit:
        raise TencentError(10004, f"Limit must not exceed {max_limit}")
    gtype = data.get("GroupType")
    page, nxt = app.page_groups(data.get("Next", 0), limit, gtype)
    total = app.type_count.get(gtype, 0) if gtype else len(app.groups)
    return {"TotalCount": total, "GroupIdList": [{"GroupId": g.GroupId} for g in page], "Next": nxt}


def h_get_group_info(call) -> dict:
    """get_group_info: one element per requested id, each with its own ErrorCode/ErrorInfo."""
    app, data, now = call.tenant, call.data, call.now
    ids = data["GroupIdList"]
    if not ids:
        raise TencentError(10004, "GroupIdList is empty")
    check_batch(app, "get_group_info", len(ids))
    flt = data.get("ResponseFilter")
    base_wanted = member_wanted = app_keys = member_keys = None
    with_members = True
    if flt is not None:
        base_wanted = set(flt.get("GroupBaseInfoFilter") or ())
        app_keys = flt.get("AppDefinedDataFilter_Group") or []
        member_keys = flt.get("AppDefinedDataFilter_GroupMember")
        if "MemberInfoFilter" in flt:
            member_wanted = set(flt["MemberInfoFilter"])
        else:
            with_members = False
        if "GroupBaseInfoFilter" not in flt:
            base_wanted = None
    out = []
    for gid in ids:
        try:
            g = app.group(gid)
        except TencentError as err:
            out.append({"GroupId": gid if isinstance(gid, str) else str(gid),
                        "ErrorCode": err.code, "ErrorInfo": err.message})
            continue
        item = {"GroupId": g.GroupId, "ErrorCode": 0, "ErrorInfo": ""}
        item.update(base_info(g, base_wanted, app_keys))
        if with_members and g.Type != "AVChatRoom":
            if member_wanted is None and member_keys is None and not g.muted:
                # the usual call, no filters and nobody muted: rows that depend on the members
                # alone, serialised once per change of them
                item["MemberList"] = member_rows(app, g, now)
            else:
                item["MemberList"] = [member_info(g, a, m, now, member_wanted, member_keys)
                                      for a, m in g.members.items()]
        out.append(item)
    return {"GroupInfo": out}


def h_modify_group_base_info(call) -> dict:
    """modify_group_base_info: same byte limits as create_group; MaxMemberNum within the type's
    cap and not below the current member count; topic fields Community only."""
    app, data, now = call.tenant, call.data, call.now
    g = app.group(data["GroupId"])
    if data.get("From_Account") and data["From_Account"] not in app.accounts:
        raise TencentError(10019, f"account {data['From_Account']} not imported")
    enable = data.get("EnablePermission", g.EnablePermission)
    if g.Type != "Community" and (data.get("EnablePermission") or data.get("DefaultPermission")):
        raise TencentError(10004, "EnablePermission/DefaultPermission are only for Community groups")
    if data.get("EnablePermission") and not g.SupportTopic:
        raise TencentError(10004, "EnablePermission needs a topic-enabled Community")
    if data.get("DefaultPermission") and not enable:
        raise TencentError(10004, "DefaultPermission needs EnablePermission=1")
    if "MaxMemberNum" in data:
        cap = app.cap_for(g.Type)
        if g.Type == "AVChatRoom":
            raise TencentError(10004, "AVChatRoom has no member cap to change")
        if data["MaxMemberNum"] > cap or data["MaxMemberNum"] < len(g.members):
            raise TencentError(10004, f"MaxMemberNum must lie between the member count and {cap}")
    if "HistoryMsgBeforeJoin" in data and g.Type not in ("Private", "Public", "ChatRoom"):
        raise TencentError(10004, "HistoryMsgBeforeJoin is only for Work/Public/Meeting groups")
    if "InviteJoinOption" in data and g.Type == "AVChatRoom":
        raise TencentError(10004, "InviteJoinOption is not supported by AVChatRoom")
    changed = {k: data[k] for k in ("Name", "Introduction", "Notification", "FaceUrl")
               if k in data and data[k] != getattr(g, k)}
    for name in ("Name", "Introduction", "Notification", "FaceUrl", "MaxMemberNum", "ApplyJoinOption",
                 "InviteJoinOption", "MuteAllMember", "EnablePermission", "DefaultPermission",
                 "HistoryMsgBeforeJoin"):
        if name in data:
            setattr(g, name, data[name])
    for key, value in kv_dict(data.get("AppDefinedData")).items():
        if value == "":
            g.AppDefinedData.pop(key, None)     # an empty Value deletes the field
        else:
            g.AppDefinedData[key] = value
    g.touch(now)
    if changed:   # §13.5: only for a change of Name, Introduction, Notification or FaceUrl
        cb.emit(call, "Group.CallbackAfterGroupInfoChanged", {
            "GroupId": g.GroupId, "Type": g.Type, "Operator_Account": call.caller, **changed})
    return {}


def h_destroy_group(call) -> dict:
    """destroy_group: the App admin may dismiss any group (§3.3)."""
    app = call.tenant
    g = app.group(call.data["GroupId"])
    app.drop_group(g)
    cb.emit(call, "Group.CallbackAfterGroupDestroyed", {
        "GroupId": g.GroupId, "Type": g.Type, "Owner_Account": g.Owner_Account, "Name": g.Name,
        "MemberList": [{"Member_Account": a} for a in g.members]})
    return {}


def h_change_group_owner(call) -> dict:
    """change_group_owner: the new owner must be imported (10019) and a member (10004)."""
    app, data = call.tenant, call.data
    g = app.group(data["GroupId"])
    new = data["NewOwner_Account"]
    if g.Type == "AVChatRoom":
        raise TencentError(10007, "AVChatRoom does not support change_group_owner")
    if new not in app.accounts:
        raise TencentError(10019, f"account {new} not imported")
    if new not in g.members:
        raise TencentError(10004, "the new owner is not a group member")
    if new != g.Owner_Account:
        if g.Owner_Account:
            g.members[g.Owner_Account].Role = "Member"
        g.members[new].Role = "Owner"
        g.members_changed()
        g.Owner_Account = new
        g.touch(call.now)
    return {}


def h_get_joined_group_list(call) -> dict:
    """get_joined_group_list: the account's groups (AVChatRoom only with WithHugeGroups=1),
    Limit/Offset paging, GroupType filter, ResponseFilter base + SelfInfo fields."""
    app, data, now = call.tenant, call.data, call.now
    account = data["Member_Account"]
    if account not in app.accounts:
        raise TencentError(10019, f"account {account} not imported")
    gtype = data.get("GroupType")
    if data.get("SupportTopic") and gtype != "Community":
        raise TencentError(10004, "SupportTopic needs GroupType Community")
    huge = data.get("WithHugeGroups") == 1
    joined = app.joined.get(account, {})
    offset = data.get("Offset", 0)

    def wanted(g: Group) -> bool:
        return (not gtype or g.Type == gtype) and (huge or g.Type != "AVChatRoom")

    if not gtype and (huge or not app.type_count.get("AVChatRoom")):
        # nothing to filter out: count the index, build only the page (O(offset + Limit))
        total = len(joined)
        limit = data.get("Limit") or total
        groups = [app.groups[gid] for gid in islice(joined, offset, offset + limit)]
    else:
        groups = [g for g in (app.groups[gid] for gid in joined) if wanted(g)]
        total = len(groups)
        limit = data.get("Limit") or total
        groups = groups[offset:offset + limit]
    flt = data.get("ResponseFilter") or {}
    base_wanted = set(flt.get("GroupBaseInfoFilter") or ())
    self_wanted = flt.get("SelfInfoFilter")
    out = []
    for g in groups:
        item = {"GroupId": g.GroupId}
        if base_wanted:
            item.update(base_info(g, base_wanted, []))
        if self_wanted:
            m = g.members[account]
            info = member_info(g, account, m, now)
            info["UnreadMsgNum"] = m.UnreadMsgNum
            for legacy, current in LEGACY_MEMBER_FIELDS.items():   # asked for by the older name
                info[legacy] = info[current]
            item["SelfInfo"] = {k: info[k] for k in self_wanted if k in info}
        out.append(item)
    return {"TotalCount": total, "GroupIdList": out}


def h_get_role_in_group(call) -> dict:
    """get_role_in_group: Owner / Admin / Member / NotMember per account (<= limits, 500)."""
    app, data = call.tenant, call.data
    g = app.group(data["GroupId"])
    check_batch(app, "get_role_in_group", len(data["User_Account"]))
    return {"UserIdList": [{"Member_Account": a,
                            "Role": g.members[a].Role if a in g.members else "NotMember"}
                           for a in data["User_Account"]]}


def h_get_online_member_num(call) -> dict:
    """get_online_member_num: AVChatRoom only (10007 otherwise). No client is ever online in the
    emulator, so the count is 0."""
    g = call.tenant.group(call.data["GroupId"])
    if g.Type != "AVChatRoom":
        raise TencentError(10007, "get_online_member_num is only for AVChatRoom")
    return {"OnlineMemberNum": 0}
