"""Tencent backend state: apps (tenants keyed by SDKAppID), accounts, groups, members.

Plain dataclasses, no aiohttp. Group members live in an insertion-ordered dict keyed by
Member_Account; each app keeps a Member_Account -> joined GroupIds index so "which groups is X
in" never scans all groups. The JSON form (tenant_to_json) is the same shape as a scenario app
section, so dump -> load -> dump is stable and a dump can seed a scenario.
"""

from __future__ import annotations

import bisect
import sys
from dataclasses import dataclass, field

from emulator.core.errors import SeedError
from emulator.core.messages import MessageStore
from emulator.core.presence import Presence

from .errors import TencentError
from .models_users import check_profiles, profiles_from_spec, profiles_to_json

# --- documented limits (reference tencent.md) ---------------------------------------------
GROUP_TYPES = ("Private", "Public", "ChatRoom", "AVChatRoom", "Community")   # §4.1
# New names accepted as aliases of the REST types (§4.1: Work = Private, Meeting = ChatRoom).
TYPE_ALIASES = {"Work": "Private", "Meeting": "ChatRoom"}
# Group option values (request schemas and the scenario schema share them; here, so the scenario
# schema does not import the request schemas at start)
APPLY_JOIN = ("FreeAccess", "NeedPermission", "DisableApply")
INVITE_JOIN = ("FreeAccess", "NeedPermission", "DisableInvite")
MSG_FLAGS = ("AcceptAndNotify", "AcceptNotNotify", "Discard")
ON_OFF = ("On", "Off")
# Default MaxMemberNum by type (§4.2 SDK docs: Work 200, Public 2000, Meeting 6000/10000 capped at
# 6000; AVChatRoom unlimited, shown as 0; Community: its documented ceiling, UNKNOWN default).
DEFAULT_MAX_MEMBERS = {"Private": 200, "Public": 2000, "ChatRoom": 6000, "AVChatRoom": 0,
                       "Community": 100000}
MEMBER_CAP = 6000            # §4.2: Work/Public/Meeting payable up to 6000
COMMUNITY_MEMBER_CAP = 100000  # §4.2: Community up to 100,000
# Per-call limits (tenant setting `limits`), documented value + source in the comment.
DEFAULT_LIMITS = {
    "create_group_members": 100,      # §3.3 create_group MemberList max 100 [doocs] (web SDK: 500)
    "add_group_member": 300,          # §3.3 EN doc "Up to 300 members can be added at a time"
    "import_group_member": 300,       # seed 004 / EN doc (CN copies say 100 or 20)
    "forbid_send_msg": 500,           # §3.3 forbid_send_msg Members_Account <= 500
    "delete_group_member": 100,       # UNKNOWN, emulator choice
    "get_group_info": 50,             # UNKNOWN, "commonly cited 50"
    "get_specified_group_member_info": 50,  # UNKNOWN, emulator choice
    "get_role_in_group": 500,         # UNKNOWN, emulator choice
    "ban_group_member": 10,           # UNKNOWN, emulator choice
    "get_group_ban_member": 100,      # UNKNOWN, max Limit per page
    "get_group_member_info": 6000,    # §3.3 Limit <= 6000
    "get_appid_group_list": 10000,    # §3.3 Limit <= 10000 (default 10000)
    "multiaccount_import": 100,       # issue: <= 100 per call
    "account_delete": 100,            # same batch size as multiaccount_import (UNKNOWN)
    "account_check": 100,             # same batch size as multiaccount_import (UNKNOWN)
    "group_attr_keys": 16,            # client docs: up to 16 group attributes
    "group_attr_key_bytes": 32,       # UNKNOWN, emulator choice
    "group_attr_value_bytes": 4096,   # client docs: each attribute up to 4 KB
    "group_attr_total_bytes": 16384,  # client docs: all attributes up to 16 KB
    "portrait_get": 100,              # users §9.6 To_Account "<= 100 recommended"
    "profile_location_bytes": 500,    # users §9.6 Location: 500 (CN 2024) vs 16 (EN, web SDK)
    "query_online_status": 500,       # users §9.5 To_Account <= 500 (90011 above)
    # Groups per app: unlimited on the real service (§3.3: above 100k is charged); the emulator
    # bounds its memory here (README Reliability). Over it, create/import answer 10036.
    "max_groups": 100000,
}
DEFAULT_RATE_LIMIT = 200     # §5: 200 requests/s per API (per SDKAppID, scope UNKNOWN)
# Message settings for what the reference leaves UNKNOWN (models_messages, README "Known differences")
DEFAULT_MESSAGE_SETTINGS = {
    "max_msg_bytes": 12 * 1024,            # §11.2 / 80002: 12 KB (older copies: 8 KB)
    "group_non_member_send": "reject",     # reject (10007) | accept
    "mute_all_blocks": "members",          # members (owner/admins may speak) | everyone | nobody
    "avchatroom_history_code": 10007,      # group_msg_get_simple on an AVChatRoom: 10007 or 10044
    "group_msg_per_second": 40,            # send_group_msg per group and second, else 10023 ([err25]); 0 = off
}
PERMANENT = 4294967295       # forbid_send_msg MuteTime meaning "forever" (§3.3)
ROLES = ("Owner", "Admin", "Member")


@dataclass(slots=True)
class Member:
    Role: str
    JoinTime: int
    MsgFlag: str = "AcceptAndNotify"
    NameCard: str = ""
    UnreadMsgNum: int = 0
    LastSendMsgTime: int = 0
    MsgSeq: int = 0
    AppMemberDefinedData: dict | None = None


@dataclass(slots=True)
class Group:
    GroupId: str
    Type: str
    Name: str
    Owner_Account: str
    CreateTime: int
    MaxMemberNum: int
    Introduction: str = ""
    Notification: str = ""
    FaceUrl: str = ""
    InfoSeq: int = 1
    LastInfoTime: int = 0
    LastMsgTime: int = 0
    NextMsgSeq: int = 1
    ApplyJoinOption: str = "NeedPermission"
    InviteJoinOption: str = "NeedPermission"
    MuteAllMember: str = "Off"
    HistoryMsgBeforeJoin: str = "Off"
    SupportTopic: int = 0
    EnablePermission: int = 0
    DefaultPermission: int = 0
    AppDefinedData: dict = field(default_factory=dict)
    members: dict = field(default_factory=dict)    # Member_Account -> Member
    muted: dict = field(default_factory=dict)      # Member_Account -> MutedUntil (epoch s)
    banned: dict = field(default_factory=dict)     # Member_Account -> BannedUntil (AVChatRoom)
    attrs: dict = field(default_factory=dict)      # group attributes key -> value
    seq: int = 0                                   # creation order, for get_appid_group_list Next
    # get_group_info's member rows, serialised (JSON bytes; handlers_common.member_rows), or
    # None. Not state: never dumped, dropped by members_changed() on every change it shows.
    rows: object = field(default=None, compare=False, repr=False)

    def members_changed(self) -> None:
        """Who is in the group, their order, or a member field get_group_info lists (Role,
        JoinTime, MsgFlag, NameCard, MsgSeq, LastSendMsgTime, AppMemberDefinedData) changed:
        the serialised rows are stale. Every such change calls this (tests/test_tencent_rows.py
        changes each way and reads back)."""
        self.rows = None

    def touch(self, now: float) -> None:
        """A base-info change: InfoSeq and LastInfoTime move (get_group_info counters)."""
        self.InfoSeq += 1
        self.LastInfoTime = int(now)


@dataclass
class App:
    sdkappid: str
    key: str
    admins: list
    rate_limit: int = DEFAULT_RATE_LIMIT
    limits: dict = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    max_members: dict = field(default_factory=lambda: dict(DEFAULT_MAX_MEMBERS))
    accounts: dict = field(default_factory=dict)   # UserID -> {"Nick":..., "FaceUrl":...}
    groups: dict = field(default_factory=dict)     # GroupId -> Group
    joined: dict = field(default_factory=dict)     # UserID -> {GroupId: None} (ordered set)
    next_seq: int = 1
    # (seq, GroupId) in creation order; destroyed groups are skipped lazily and compacted.
    order: list = field(default_factory=list)
    type_count: dict = field(default_factory=dict)
    messages: MessageStore = field(default_factory=MessageStore)   # models_messages.py
    message_settings: dict = field(default_factory=lambda: dict(DEFAULT_MESSAGE_SETTINGS))
    # GroupId -> (second, sends): the per-group send rate window; like the pipeline's rate
    # limiter it is not state (not dumped), at most one entry per live group
    group_send_window: dict = field(default_factory=dict)
    # users (models_users.py): profile tags other than Nick/Image, the custom tags the app
    # declares, and per account the kick time at or before which its UserSigs are void (§9.4)
    profiles: dict = field(default_factory=dict)    # UserID -> {Tag: Value}
    profile_custom: list = field(default_factory=list)
    kicked: dict = field(default_factory=dict)      # UserID -> kick time (epoch s)
    kick_voids_same_second: bool = True
    presence: Presence = field(default_factory=Presence)   # core/presence.py: who is online where
    # Groups whose member rows are cached (Group.rows), oldest first: id(group) -> (group, cost);
    # not state. Bounded by ROWS_CACHE_BYTES (handlers_common.member_rows).
    rows_cached: dict = field(default_factory=dict)
    rows_cached_bytes: int = 0

    # --- lookups ------------------------------------------------------------------------------
    def group(self, group_id) -> Group:
        """The live group, or 10015 (malformed id) / 10010 (gone or dismissed)."""
        if not isinstance(group_id, str) or not group_id:
            raise TencentError(10015)
        g = self.groups.get(group_id)
        if g is None:
            raise TencentError(10010)
        return g

    def require_accounts(self, names, code: int = 10019) -> None:
        for name in names:
            if name not in self.accounts:
                raise TencentError(code, f"account {name} not imported")

    def cap_for(self, gtype: str) -> int:
        return COMMUNITY_MEMBER_CAP if gtype == "Community" else MEMBER_CAP

    def check_group_quota(self) -> None:
        """At most limits.max_groups groups (100,000 by default; README Reliability)."""
        cap = self.limits.get("max_groups", DEFAULT_LIMITS["max_groups"])
        if len(self.groups) >= cap:
            raise TencentError(10036, f"group count over the app limit ({cap})")

    # --- mutations (callers have validated everything first) --------------------------------
    def add_group(self, g: Group) -> None:
        g.seq = self.next_seq
        self.next_seq += 1
        self.groups[g.GroupId] = g
        self.order.append((g.seq, g.GroupId))
        self.type_count[g.Type] = self.type_count.get(g.Type, 0) + 1
        for account in g.members:
            self.joined.setdefault(account, {})[g.GroupId] = None
        self.messages.join("group:" + g.GroupId, g.members, g.NextMsgSeq)   # membership history

    def drop_group(self, g: Group) -> None:
        cached = self.rows_cached.pop(id(g), None)   # its serialised rows (Group.rows) go too
        if cached is not None:
            self.rows_cached_bytes -= cached[1]
        for account in g.members:
            self._unindex(account, g.GroupId)
        del self.groups[g.GroupId]
        self.type_count[g.Type] -= 1
        # a dismissed group's history goes with it (its id may be reused by a new group)
        self.messages.drop_conversation("group:" + g.GroupId)
        self.messages.drop_conversation("online:group:" + g.GroupId)
        self.group_send_window.pop(g.GroupId, None)
        if len(self.order) > 64 and len(self.order) > 2 * len(self.groups):
            self.order = [(s, gid) for s, gid in self.order
                          if gid in self.groups and self.groups[gid].seq == s]

    def add_member(self, g: Group, account: str, m: Member) -> None:
        # one string per account, shared by its groups and the index (each request's JSON
        # gives a new copy): ~45 bytes less per membership (<= 300 B target)
        account = sys.intern(account)
        g.members[account] = m
        g.members_changed()
        self.joined.setdefault(account, {})[g.GroupId] = None
        self.messages.join("group:" + g.GroupId, (account,), g.NextMsgSeq)

    def remove_member(self, g: Group, account: str) -> None:
        del g.members[account]
        g.members_changed()
        g.muted.pop(account, None)
        self.messages.leave("group:" + g.GroupId, (account,), g.NextMsgSeq)
        self._unindex(account, g.GroupId)

    def _unindex(self, account: str, group_id: str) -> None:
        groups = self.joined.get(account)
        if groups is not None:
            groups.pop(group_id, None)
            if not groups:
                del self.joined[account]

    def page_groups(self, after: int, limit: int, gtype: str | None) -> tuple[list[Group], int]:
        """Groups created after sequence ``after``, up to ``limit``; (page, next seq or 0)."""
        i = bisect.bisect_right(self.order, (after, "\uffff"))
        out: list[Group] = []
        while i < len(self.order) and len(out) < limit:
            seq, gid = self.order[i]
            i += 1
            g = self.groups.get(gid)
            if g is None or g.seq != seq or (gtype and g.Type != gtype):
                continue
            out.append(g)
        return out, (out[-1].seq if out and self._more(i, gtype) else 0)

    def _live(self, seq: int, gid: str, gtype: str | None) -> bool:
        g = self.groups.get(gid)
        return g is not None and g.seq == seq and (not gtype or g.Type == gtype)

    def _more(self, i: int, gtype: str | None) -> bool:
        """Is any live group left at or after position i (stops at the first one)."""
        while i < len(self.order):
            if self._live(*self.order[i], gtype):
                return True
            i += 1
        return False

    def new_group_id(self, gtype: str) -> str:
        """``@TGS#`` + a type digit + 8 letters (``@TGS#_`` for Community), unique in the app."""
        prefix = "@TGS#_" if gtype == "Community" else "@TGS#" + {
            "Private": "1", "Public": "2", "ChatRoom": "3", "AVChatRoom": "a"}[gtype]
        n = self.next_seq * 2654435761 % (26 ** 8)
        while True:
            letters = []
            k = n
            for _ in range(8):
                k, r = divmod(k, 26)
                letters.append(chr(65 + r))
            gid = prefix + "".join(letters)
            if gid not in self.groups:
                return gid
            n = (n + 1) % (26 ** 8)


# --- JSON <-> state (one shape for scenarios and dumps) ---------------------------------------
MEMBER_KEYS = ("MsgFlag", "NameCard", "UnreadMsgNum", "LastSendMsgTime", "MsgSeq")
GROUP_KEYS = ("Introduction", "Notification", "FaceUrl", "InfoSeq", "LastInfoTime", "LastMsgTime",
              "NextMsgSeq", "ApplyJoinOption", "InviteJoinOption", "MuteAllMember",
              "HistoryMsgBeforeJoin", "SupportTopic", "EnablePermission", "DefaultPermission")


def group_to_json(g: Group) -> dict:
    d = {"GroupId": g.GroupId, "Type": g.Type, "Name": g.Name, "Owner_Account": g.Owner_Account,
         "CreateTime": g.CreateTime, "MaxMemberNum": g.MaxMemberNum}
    for k in GROUP_KEYS:
        d[k] = getattr(g, k)
    d["AppDefinedData"] = [{"Key": k, "Value": v} for k, v in g.AppDefinedData.items()]
    members = []
    for account, m in g.members.items():
        md = {"Member_Account": account, "Role": m.Role, "JoinTime": m.JoinTime}
        for k in MEMBER_KEYS:
            md[k] = getattr(m, k)
        if m.AppMemberDefinedData:
            md["AppMemberDefinedData"] = [{"Key": k, "Value": v} for k, v in m.AppMemberDefinedData.items()]
        members.append(md)
    d["MemberList"] = members
    d["MutedAccountList"] = [{"Member_Account": a, "MutedUntil": t} for a, t in g.muted.items()]
    d["BannedAccountList"] = [{"Member_Account": a, "BannedUntil": t} for a, t in g.banned.items()]
    d["GroupAttr"] = [{"key": k, "value": v} for k, v in g.attrs.items()]
    d["Seq"] = g.seq
    return d


def app_to_json(app: App) -> dict:
    return {"sdkappid": int(app.sdkappid), "key": app.key, "admins": list(app.admins),
            "rate_limit": app.rate_limit, "limits": dict(app.limits),
            "max_members": dict(app.max_members),
            "accounts": [{"UserID": u, **info} for u, info in app.accounts.items()],
            "groups": [group_to_json(g) for g in app.groups.values()],
            "next_seq": app.next_seq,
            "profile_custom": list(app.profile_custom), "profiles": profiles_to_json(app),
            "kicked": [{"UserID": u, "KickTime": t} for u, t in app.kicked.items()],
            "kick_voids_same_second": app.kick_voids_same_second}


def app_from_spec(spec: dict, now: float) -> App:
    """Build an App from a validated scenario/dump spec; SeedError names the bad path."""
    app = App(sdkappid=str(spec["sdkappid"]), key=spec["key"], admins=list(spec["admins"]),
              rate_limit=spec.get("rate_limit", DEFAULT_RATE_LIMIT))
    app.limits.update(spec.get("limits") or {})
    app.max_members.update(spec.get("max_members") or {})
    for admin in app.admins:               # App admins are accounts of the app (§1.1)
        app.accounts.setdefault(admin, {"Nick": "", "FaceUrl": ""})
    for i, acc in enumerate(spec.get("accounts") or []):
        if acc["UserID"] in app.accounts and acc["UserID"] not in app.admins:
            raise SeedError(f"accounts[{i}].UserID", f"duplicate account {acc['UserID']!r}")
        app.accounts[acc["UserID"]] = {"Nick": acc.get("Nick", ""), "FaceUrl": acc.get("FaceUrl", "")}
    app.profile_custom = list(spec.get("profile_custom") or [])
    app.kick_voids_same_second = spec.get("kick_voids_same_second", True)
    profiles_from_spec(app, spec.get("profiles"))
    for i, k in enumerate(spec.get("kicked") or []):
        if k["UserID"] not in app.accounts:
            raise SeedError(f"kicked[{i}].UserID", f"account {k['UserID']!r} not declared")
        app.kicked[k["UserID"]] = k["KickTime"]
    seqs = []
    for i, gs in enumerate(spec.get("groups") or []):
        g = _group_from_spec(app, gs, f"groups[{i}]", now)
        if g.GroupId in app.groups:
            raise SeedError(f"groups[{i}].GroupId", f"duplicate group id {g.GroupId!r}")
        seq = gs.get("Seq")
        app.add_group(g)
        if seq:
            g.seq = seq
            app.order[-1] = (seq, g.GroupId)
        seqs.append(g.seq)
    app.order.sort()
    app.next_seq = max([spec.get("next_seq") or 1, *(s + 1 for s in seqs)])
    return app


def _group_from_spec(app: App, gs: dict, path: str, now: float) -> Group:
    gtype = TYPE_ALIASES.get(gs["Type"], gs["Type"])
    owner = gs.get("Owner_Account") or ""
    if owner and owner not in app.accounts:
        raise SeedError(f"{path}.Owner_Account", f"account {owner!r} not declared")
    created = int(gs.get("CreateTime", now))
    max_members = gs.get("MaxMemberNum") or app.max_members.get(gtype, 0)
    g = Group(GroupId=gs["GroupId"], Type=gtype, Name=gs["Name"], Owner_Account=owner,
              CreateTime=created, MaxMemberNum=max_members, LastInfoTime=created)
    for k in GROUP_KEYS:
        if k in gs:
            setattr(g, k, gs[k])
    g.AppDefinedData = {kv["Key"]: kv["Value"] for kv in gs.get("AppDefinedData") or []}
    for j, ms in enumerate(gs.get("MemberList") or []):
        account = ms["Member_Account"]
        if account not in app.accounts:
            raise SeedError(f"{path}.MemberList[{j}].Member_Account", f"account {account!r} not declared")
        if account in g.members:
            raise SeedError(f"{path}.MemberList[{j}].Member_Account", f"duplicate member {account!r}")
        role = ms.get("Role", "Member")
        if (role == "Owner") != (account == owner):
            raise SeedError(f"{path}.MemberList[{j}].Role", "Role Owner must match Owner_Account")
        m = Member(Role=role, JoinTime=int(ms.get("JoinTime", created)))
        for k in MEMBER_KEYS:
            if k in ms:
                setattr(m, k, ms[k])
        if ms.get("AppMemberDefinedData"):
            m.AppMemberDefinedData = {kv["Key"]: kv["Value"] for kv in ms["AppMemberDefinedData"]}
        g.members[sys.intern(account)] = m
    if owner and owner not in g.members and gtype != "AVChatRoom":
        g.members = {owner: Member(Role="Owner", JoinTime=created), **g.members}
    if gtype == "AVChatRoom" and g.members:
        raise SeedError(f"{path}.MemberList", "AVChatRoom groups keep no member list")
    if g.MaxMemberNum and len(g.members) > g.MaxMemberNum:
        raise SeedError(f"{path}.MemberList", f"{len(g.members)} members exceed MaxMemberNum {g.MaxMemberNum}")
    g.muted = {x["Member_Account"]: x["MutedUntil"] for x in gs.get("MutedAccountList") or []}
    g.banned = {x["Member_Account"]: x["BannedUntil"] for x in gs.get("BannedAccountList") or []}
    g.attrs = {x["key"]: x["value"] for x in gs.get("GroupAttr") or []}
    return g


def _check_rows(app: App) -> list[str]:
    """The cached get_group_info member rows are what the members give now (a change that did
    not call Group.members_changed() shows here), and the cache's byte count adds up."""
    from .handlers_common import build_member_rows
    problems = []
    for gid, g in app.groups.items():
        if g.rows is None:
            continue
        if id(g) not in app.rows_cached:
            problems.append(f"group {gid}: cached member rows not counted in the row cache")
        if not g.muted and g.rows != build_member_rows(g, 0):
            problems.append(f"group {gid}: cached member rows are stale")
    total = sum(cost for _, cost in app.rows_cached.values())
    if total != app.rows_cached_bytes:
        problems.append(f"row cache counts {app.rows_cached_bytes} bytes, its entries {total}")
    return problems


def check_app(app: App) -> list[str]:
    """Invariants: counts, one owner who is a member, index agrees with groups, caps."""
    problems: list[str] = []
    seen_index = 0
    for gid, g in app.groups.items():
        owners = [a for a, m in g.members.items() if m.Role == "Owner"]
        if g.Owner_Account:
            if g.Type != "AVChatRoom" and owners != [g.Owner_Account]:
                problems.append(f"group {gid}: owner {g.Owner_Account!r} but Owner roles {owners}")
        elif owners:
            problems.append(f"group {gid}: no Owner_Account but Owner roles {owners}")
        if g.MaxMemberNum and len(g.members) > g.MaxMemberNum:
            problems.append(f"group {gid}: {len(g.members)} members over MaxMemberNum {g.MaxMemberNum}")
        for account in g.members:
            if account not in app.accounts:
                problems.append(f"group {gid}: member {account!r} is not an account")
            if gid not in app.joined.get(account, {}):
                problems.append(f"group {gid}: member {account!r} missing from the joined index")
            seen_index += 1
    problems.extend(_check_rows(app))
    indexed = sum(len(v) for v in app.joined.values())
    if indexed != seen_index:
        problems.append(f"joined index has {indexed} entries, groups have {seen_index} members")
    for account, gids in app.joined.items():
        for gid in gids:
            if gid not in app.groups:
                problems.append(f"joined index: {account!r} -> missing group {gid}")
    counts: dict = {}
    for g in app.groups.values():
        counts[g.Type] = counts.get(g.Type, 0) + 1
    if {k: v for k, v in app.type_count.items() if v} != counts:
        problems.append(f"type counters {app.type_count} disagree with groups {counts}")
    problems.extend(check_profiles(app))
    return problems
