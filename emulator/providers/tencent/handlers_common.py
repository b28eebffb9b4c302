"""Helpers shared by the handler modules: per-call limits, member/group rendering."""

from __future__ import annotations

import orjson

from emulator.core.pipeline import dumps

from .errors import TencentError
from .legacy import LEGACY_GROUP_FIELDS, LEGACY_MEMBER_FIELDS
from .models import App, Group, Member

CUSTOM_ID_BYTES = 48     # §4.3 custom GroupId: printable ASCII, <= 48 bytes
GENERATED_PREFIX = "@TGS#"
COMMUNITY_PREFIX = "@TGS#_"

BASE_INFO_FIELDS = ("GroupId", "Type", "Name", "Introduction", "Notification", "FaceUrl",
                    "Owner_Account", "CreateTime", "InfoSeq", "LastInfoTime", "LastMsgTime",
                    "NextMsgSeq", "MemberNum", "MaxMemberNum", "ApplyJoinOption",
                    "InviteJoinOption", "MuteAllMember")
COMMUNITY_FIELDS = ("SupportTopic", "EnablePermission", "DefaultPermission")
MEMBER_FIELDS = ("Member_Account", "Role", "JoinTime", "MsgSeq", "MsgFlag", "LastSendMsgTime",
                 "MuteUntil", "NameCard")
SELF_INFO_FIELDS = ("Role", "JoinTime", "MsgFlag", "UnreadMsgNum", "MsgSeq", "MuteUntil", "NameCard")


def check_batch(app: App, name: str, count: int, code: int = 10005) -> None:
    """Per-call limit from the tenant's ``limits`` (defaults in models.DEFAULT_LIMITS)."""
    limit = app.limits.get(name)
    if limit and count > limit:
        raise TencentError(code, f"at most {limit} items per request, got {count}")


def check_custom_group_id(gid: str, gtype: str) -> None:
    """§4.3: printable ASCII, <= 48 bytes, no @TGS# prefix (Community: must start @TGS#_)."""
    if not gid or len(gid.encode("utf-8")) > CUSTOM_ID_BYTES or any(not (0x20 <= ord(c) <= 0x7e) for c in gid):
        raise TencentError(10015, "group id must be printable ASCII of at most 48 bytes")
    if gtype == "Community":
        if not gid.startswith(COMMUNITY_PREFIX):
            raise TencentError(10015, "a Community group id must start with @TGS#_")
    elif gid.startswith(GENERATED_PREFIX):
        raise TencentError(10015, "a custom group id must not start with @TGS#")


def mute_until(g: Group, account: str, now: float) -> int:
    until = g.muted.get(account, 0)
    return until if until > now else 0


def base_info(g: Group, wanted=None, app_keys=None) -> dict:
    """get_group_info's base fields, optionally only ``wanted`` (GroupBaseInfoFilter)."""
    if wanted is None:
        # every field (the usual call), in BASE_INFO_FIELDS order, built directly
        out = {"GroupId": g.GroupId, "Type": g.Type, "Name": g.Name, "Introduction": g.Introduction,
               "Notification": g.Notification, "FaceUrl": g.FaceUrl, "Owner_Account": g.Owner_Account,
               "CreateTime": g.CreateTime, "InfoSeq": g.InfoSeq, "LastInfoTime": g.LastInfoTime,
               "LastMsgTime": g.LastMsgTime, "NextMsgSeq": g.NextMsgSeq, "MemberNum": len(g.members),
               "MaxMemberNum": g.MaxMemberNum, "ApplyJoinOption": g.ApplyJoinOption,
               "InviteJoinOption": g.InviteJoinOption, "MuteAllMember": g.MuteAllMember}
        if g.Type == "Community":
            out["SupportTopic"] = g.SupportTopic
            out["EnablePermission"] = g.EnablePermission
            out["DefaultPermission"] = g.DefaultPermission
    else:
        out = {}
        names = BASE_INFO_FIELDS + (COMMUNITY_FIELDS if g.Type == "Community" else ())
        for name in names:
            if name not in wanted and name != "GroupId":
                continue
            out[name] = len(g.members) if name == "MemberNum" else getattr(g, name)
    if wanted:
        for old, new in LEGACY_GROUP_FIELDS.items():
            if old in wanted:   # an older client asks by the older name: answer under it
                out[old] = getattr(g, new)
    if app_keys is None:
        data = g.AppDefinedData.items()
    else:
        data = [(k, g.AppDefinedData[k]) for k in app_keys if k in g.AppDefinedData]
    if data:
        out["AppDefinedData"] = [{"Key": k, "Value": v} for k, v in data]
    return out


# Serialised member rows kept per app for get_group_info (Group.rows), oldest dropped first: a
# memory bound beside the state (README Reliability). Each kept group counts its bytes plus
# ROWS_ENTRY_COST (the entry itself), so many small groups are bounded too; a group whose rows
# alone are over a quarter of the bound is never kept.
ROWS_CACHE_BYTES = 8 * 1024 * 1024
ROWS_ENTRY_COST = 256


def build_member_rows(g: Group, now: float) -> bytes:
    """get_group_info's MemberList, serialised, for a group nobody in is muted (unfiltered)."""
    return dumps([
        {"Member_Account": a, "Role": m.Role, "JoinTime": m.JoinTime, "MsgSeq": m.MsgSeq,
         "MsgFlag": m.MsgFlag, "LastSendMsgTime": m.LastSendMsgTime, "MuteUntil": 0,
         "NameCard": m.NameCard}
        if not m.AppMemberDefinedData else member_info(g, a, m, now)
        for a, m in g.members.items()])


def member_rows(app: App, g: Group, now: float) -> orjson.Fragment:
    """build_member_rows as an orjson.Fragment: with nobody muted every row depends on the
    member alone (MuteUntil is 0), so it is serialised once and reused until
    Group.members_changed() drops it."""
    data = g.rows
    if data is not None:
        return orjson.Fragment(data)
    data = build_member_rows(g, now)
    cost = len(data) + ROWS_ENTRY_COST
    if cost <= ROWS_CACHE_BYTES // 4:
        cached = app.rows_cached
        forget_rows(app, g)
        while cached and app.rows_cached_bytes + cost > ROWS_CACHE_BYTES:
            og, ocost = cached.pop(next(iter(cached)))
            og.rows = None
            app.rows_cached_bytes -= ocost
        cached[id(g)] = (g, cost)
        app.rows_cached_bytes += cost
        g.rows = data
    return orjson.Fragment(data)


def forget_rows(app: App, g: Group) -> None:
    """Drop ``g``'s entry from the app's row cache (its rows go with it)."""
    old = app.rows_cached.pop(id(g), None)
    if old is not None:
        app.rows_cached_bytes -= old[1]
    g.rows = None


def member_info(g: Group, account: str, m: Member, now: float, wanted=None, app_keys=None) -> dict:
    if wanted is None:
        # no MemberInfoFilter (the usual call): every field, in MEMBER_FIELDS order, built
        # directly; this runs once per member of a listed group, so the loop below is avoided
        until = g.muted.get(account, 0) if g.muted else 0
        out = {"Member_Account": account, "Role": m.Role, "JoinTime": m.JoinTime,
               "MsgSeq": m.MsgSeq, "MsgFlag": m.MsgFlag, "LastSendMsgTime": m.LastSendMsgTime,
               "MuteUntil": until if until > now else 0, "NameCard": m.NameCard}
    else:
        out = _filtered_member_info(g, account, m, now, wanted)
    data = m.AppMemberDefinedData
    if data:
        if app_keys is not None:
            data = {k: data[k] for k in app_keys if k in data}
        if data:
            out["AppMemberDefinedData"] = [{"Key": k, "Value": v} for k, v in data.items()]
    return out


def _filtered_member_info(g: Group, account: str, m: Member, now: float, wanted) -> dict:
    out: dict = {}
    for name in MEMBER_FIELDS:
        if wanted is not None and name not in wanted and name != "Member_Account":
            continue
        if name == "Member_Account":
            out[name] = account
        elif name == "MuteUntil":
            out[name] = mute_until(g, account, now)
        else:
            out[name] = getattr(m, name)
    for old, new in LEGACY_MEMBER_FIELDS.items():
        if old in wanted:       # an older client asks by the older name: answer under it
            out[old] = mute_until(g, account, now) if new == "MuteUntil" else getattr(m, new)
    return out


def kv_dict(items) -> dict:
    return {kv["Key"]: kv["Value"] for kv in items or []}
