"""RongCloud state: one store of groups per App-Key, shared by the legacy and entrust APIs.

A group is legacy (created by /group/create, join or sync: a name and a member set) or entrust
(profile hosting: owner, managers, profile, permissions, ext profile). /entrust/group/import
turns a legacy group into an entrust one. Group-level settings that the real service accepts for
any group id (whole-group mute, mute lists, mute allowlists, remark names) live beside the groups,
keyed by group id. Users need no registration on RongCloud: a user exists by being a member.
No aiohttp here; every operation validates before it mutates.
"""

from __future__ import annotations

import base64
import sys
from dataclasses import dataclass, field, fields as dc_fields
from typing import Any, Iterable, Iterator

import orjson

from emulator.core.errors import SeedError
from emulator.core.messages import MessageStore, StoreSpec
from emulator.core.presence import Presence
from emulator.providers.base import TenantBackend

from .errors import RongCloudError

ROLE_MEMBER, ROLE_MANAGER, ROLE_OWNER = 1, 2, 3

# Documented permission keys and defaults (reference 4.14 and seed 002).
PERMISSION_DEFAULTS = {"joinPerm": 0, "removePerm": 0, "memInvitePerm": 0, "invitePerm": 0,
                       "profilePerm": 0, "memProfilePerm": 0}
PERMISSION_RANGES = {"joinPerm": 3, "removePerm": 2, "memInvitePerm": 2, "invitePerm": 1,
                     "profilePerm": 2, "memProfilePerm": 2}
JOIN_NOBODY = 3  # joinPerm 3: nobody can join (25414)


@dataclass
class AppSettings:
    """Per-App-Key knobs; defaults are the documented values (reference 4.15, 6)."""

    rate_limit: int = 100              # requests per second per API ([DOC-EN] every group page)
    max_members: int = 3000            # members per group ([DOC-EN] create-group; adjustable by ticket)
    max_groups: int = 100000           # groups per app: none documented; bounds memory (README Reliability)
    max_managers: int = 10             # admins per group ([DOC-EN] add-group-manager)
    max_follows: int = 100             # followed members per user per group (UNKNOWN; emulator choice)
    max_ext_pairs: int = 10            # groupExtProfile pairs ([DOC-EN] create-group, "by default")
    max_users: int = 0                 # registered users; 0 = no cap (the development environment: 100, then 2007)
    strict_profile_limits: bool = False  # hosted profile name <= 32, portraitUri <= 128 ([DOC-CN]) vs 64/1024
    max_user_ext_pairs: int = 20       # userExtProfile pairs per user ([DOC-EN] set-user-profiles)
    user_ext_keys: list | None = None  # ext keys "registered in the console"; None = any ext_<letters> key
    user_profile_hosting: bool = True  # on by default per the current [DOC-CN]; off: profile APIs answer 24369
    signature_max_age_s: int = 0       # 0: no freshness window (the real service has none visible)
    reject_replayed_nonce: bool = False
    # messages (reference users-messages-callbacks 2; UNKNOWN rules decided here, README known differences)
    unknown_group_code: int = 0        # group publish to a group that does not exist: 0 = 200 (PY3 tests), e.g. 25410
    gag_applies_to_server_api: bool = False  # per-member gag on group publish (UNKNOWN; inferred not, 2.4) -> 22408
    banned_sender_code: int = 0        # publish from a banned (/user/block) user: 0 = accepted (UNKNOWN, 1.7)
    deactivated_sender_code: int = 0   # publish from a deactivated user: 0 = accepted (UNKNOWN, 1.8)
    recall_unknown_code: int = 0       # recall of an unknown messageUID: 0 = 200 (PY3 tests, 2.9)
    history_service: bool = True       # /message/history.json enabled (off: 1009, 2.10)
    history_utc_offset_hours: int = 8  # the hour of `date`: Beijing time (China data center), 0 abroad
    # Signature values taken as valid whatever the secret: the English docs' endpoint examples
    # carry a placeholder (45beb7cc...) that no secret produces; listing it lets them work as pasted.
    accept_signatures: list = field(default_factory=list)


@dataclass(slots=True)
class Member:
    role: int
    time: int            # join time, ms
    nickname: str = ""
    extra: str = ""


@dataclass(slots=True)
class Group:
    groupId: str
    name: str
    entrust: bool
    createTime: int
    owner: str = ""
    creator: str = ""
    groupProfile: dict = field(default_factory=dict)
    permissions: dict = field(default_factory=dict)
    groupExtProfile: dict = field(default_factory=dict)
    members: dict = field(default_factory=dict)     # userId -> Member, in join order
    managers: dict = field(default_factory=dict)    # userId -> None, an ordered set
    follows: dict = field(default_factory=dict)     # userId -> {followed userId: ms}

    def full_permissions(self) -> dict:
        return {**PERMISSION_DEFAULTS, **self.permissions}


@dataclass
class Tenant:
    app_key: str
    app_secret: str
    settings: AppSettings
    groups: dict = field(default_factory=dict)        # groupId -> Group, in creation order
    user_groups: dict = field(default_factory=dict)   # userId -> {groupId: None}, join order (derived)
    bans: dict = field(default_factory=dict)          # groupId -> None: whole-group mute
    gags: dict = field(default_factory=dict)          # groupId -> {userId: expiry ms, 0 = forever}
    whitelists: dict = field(default_factory=dict)    # groupId -> {userId: None}
    remarks: dict = field(default_factory=dict)       # groupId -> {userId: remark name}
    presence: Presence = field(default_factory=Presence)  # online platforms, issued tokens, bans
    users: Any = field(default_factory=lambda: _user_state())  # models_users.UserState
    messages: MessageStore = field(default_factory=MessageStore)   # models_messages.py
    msg_seq: int = 0                                   # messageUIDs issued (per-app sequence)
    history_deleted: dict = field(default_factory=dict)   # hour start (epoch s) -> None: log deleted (2.10)


def _user_state():
    from .models_users import UserState  # models_users builds on this module
    return UserState()


# --- shared operations ---------------------------------------------------------------------

def add_member(t: Tenant, g: Group, uid: str, role: int, now_ms: int) -> None:
    # One string object per user, shared by every group and the index: a user id parsed from
    # each request's form is a new string, ~50 bytes a membership otherwise (<= 300 B target).
    uid = sys.intern(uid)
    g.members[uid] = Member(role, now_ms)
    t.user_groups.setdefault(uid, {})[g.groupId] = None
    t.messages.join("group:" + g.groupId, (uid,))     # membership history (core/membership.py)
    if role == ROLE_MANAGER:
        g.managers[uid] = None


def remove_member(t: Tenant, g: Group, uid: str, del_ban: bool = False, del_white: bool = False,
                  del_followed: bool = False) -> None:
    """Drop one membership; the flags also clear the user's mute, allowlist and follow entries."""
    if g.members.pop(uid, None) is None:
        return
    g.managers.pop(uid, None)
    t.messages.leave("group:" + g.groupId, (uid,))
    joined = t.user_groups.get(uid)
    if joined is not None:
        joined.pop(g.groupId, None)
        if not joined:
            del t.user_groups[uid]
    gid = g.groupId
    if del_ban and gid in t.gags:
        t.gags[gid].pop(uid, None)
    if del_white and gid in t.whitelists:
        t.whitelists[gid].pop(uid, None)
    if del_followed:
        g.follows.pop(uid, None)


def drop_group(t: Tenant, gid: str) -> None:
    """Dismiss: the group, its memberships and every group-level setting go."""
    g = t.groups.pop(gid, None)
    if g is not None:
        t.messages.leave("group:" + gid, g.members)     # the log stays (history logs, recall)
        for uid in g.members:
            joined = t.user_groups.get(uid)
            if joined is not None:
                joined.pop(gid, None)
                if not joined:
                    del t.user_groups[uid]
    for table in (t.bans, t.gags, t.whitelists, t.remarks):
        table.pop(gid, None)


def check_group_quota(t: Tenant, adding: int = 1) -> None:
    """Groups per app <= max_groups (100,000; no documented limit, so 1502 "count exceeds limit")."""
    if len(t.groups) + adding > t.settings.max_groups:
        raise RongCloudError(1502, f"Group count would exceed {t.settings.max_groups}.")


def check_capacity(t: Tenant, g: Group | None, adding: int, code: int = 25411) -> None:
    """Members per group <= max_members (3000 by default, [DOC-EN] create-group); a new group
    (g is None) must also fit under max_groups."""
    if g is None:
        check_group_quota(t)
    current = len(g.members) if g is not None else 0
    if current + adding > t.settings.max_members:
        raise RongCloudError(code, f"Group member count would exceed {t.settings.max_members}.")


# --- paging --------------------------------------------------------------------------------

def encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"rcemu:{offset}".encode()).decode().rstrip("=")


def decode_page_token(token: str | None) -> int:
    """Opaque pageToken -> offset; a token the emulator did not issue is 25432."""
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, num = text.partition(":")
        offset = int(num)
        if prefix != "rcemu" or offset < 0:
            raise ValueError
    except (ValueError, UnicodeDecodeError):
        raise RongCloudError(25432, "pageToken cannot be parsed.") from None
    return offset


def page(items: Iterable, offset: int, size: int) -> tuple[list, str]:
    """One page of an iterator plus the next pageToken ("" when this is the last page)."""
    from itertools import islice
    it: Iterator = iter(items)
    chunk = list(islice(it, offset, offset + size + 1))
    more = len(chunk) > size
    return chunk[:size], encode_page_token(offset + size) if more else ""


# --- JSON -----------------------------------------------------------------------------------

def group_to_json(g: Group) -> dict:
    return {
        "groupId": g.groupId, "name": g.name, "entrust": g.entrust, "createTime": g.createTime,
        "owner": g.owner, "creator": g.creator, "groupProfile": g.groupProfile,
        "permissions": g.permissions, "groupExtProfile": g.groupExtProfile,
        "members": [[uid, m.role, m.time, m.nickname, m.extra] for uid, m in g.members.items()],
        "managers": list(g.managers),
        "follows": {uid: dict(f) for uid, f in g.follows.items()},
    }


def group_from_json(d: dict) -> Group:
    g = Group(d["groupId"], d["name"], bool(d["entrust"]), int(d["createTime"]), d.get("owner", ""),
              d.get("creator", ""), dict(d.get("groupProfile") or {}), dict(d.get("permissions") or {}),
              dict(d.get("groupExtProfile") or {}))
    g.members = {sys.intern(m[0]): Member(int(m[1]), int(m[2]), m[3], m[4])
                 for m in d.get("members", [])}
    g.managers = dict.fromkeys(d.get("managers", []))
    g.follows = {uid: dict(f) for uid, f in (d.get("follows") or {}).items()}
    return g


def rebuild_index(t: Tenant) -> None:
    """user -> groups, in each user's join order (ties broken by group order)."""
    pairs = [(m.time, n, uid, gid) for n, (gid, g) in enumerate(t.groups.items())
             for uid, m in g.members.items()]
    pairs.sort(key=lambda p: (p[0], p[1]))
    t.user_groups = {}
    for _, _, uid, gid in pairs:
        t.user_groups.setdefault(uid, {})[gid] = None


def adopt_rosters(t: Tenant) -> None:
    """Groups loaded without membership history (old dumps, seeds): current members from now."""
    for gid in t.groups:
        t.messages.adopt("group:" + gid)


class RongCloudBackend(TenantBackend):
    section_key = "apps"
    # the `os` values of the online-status callback (reference users 3.4)
    presence_platforms = ("iOS", "Android", "HarmonyOS", "Websocket", "PC", "MiniProgram")

    def tenant_id(self, spec: dict) -> str:
        return spec["app_key"]

    def build_tenant(self, spec: dict) -> Tenant:
        settings = AppSettings(**{f.name: spec[f.name] for f in dc_fields(AppSettings) if f.name in spec})
        t = Tenant(spec["app_key"], spec["app_secret"], settings)
        now = self.clock.now_ms()
        for i, gspec in enumerate(spec.get("groups") or []):
            self._seed_group(t, gspec, now, f"groups[{i}]")
        from .models_users import seed_user
        seen: set = set()
        for i, uspec in enumerate(spec.get("users") or []):
            if uspec["userId"] in seen:
                raise SeedError(f"users[{i}].userId", f"duplicate user {uspec['userId']!r}")
            seen.add(uspec["userId"])
            try:
                seed_user(t, uspec, now)
            except RongCloudError as exc:
                raise SeedError(f"users[{i}]", f"{exc.code} {exc.message}") from None
        if t.settings.max_users and len(t.users.users) > t.settings.max_users:
            raise SeedError("users", f"more than max_users ({t.settings.max_users})")
        if spec.get("messages"):
            try:
                t.messages = MessageStore.from_json(spec["messages"])
            except SeedError as exc:
                raise exc.under("messages") from None
        adopt_rosters(t)
        return t

    def _seed_group(self, t: Tenant, s: dict, now: int, path: str) -> None:
        gid = s["groupId"]
        if gid in t.groups:
            raise SeedError(f"{path}.groupId", f"duplicate group {gid!r}")
        owner = s.get("owner") or ""
        g = Group(gid, s["name"], bool(owner), now, owner, owner, dict(s.get("groupProfile") or {}),
                  dict(s.get("permissions") or {}), dict(s.get("groupExtProfile") or {}))
        for key, value in g.permissions.items():
            if key not in PERMISSION_RANGES or not isinstance(value, int) \
                    or not 0 <= value <= PERMISSION_RANGES[key]:
                raise SeedError(f"{path}.permissions.{key}", "unknown key or value out of range")
        t.groups[gid] = g
        members = list(dict.fromkeys(([owner] if owner else []) + list(s.get("members") or [])))
        if len(members) > t.settings.max_members:
            raise SeedError(f"{path}.members", f"more than max_members ({t.settings.max_members})")
        managers = list(s.get("managers") or [])
        if managers and not owner:
            raise SeedError(f"{path}.managers", "only an entrust group (with an owner) has managers")
        if len(managers) > t.settings.max_managers:
            raise SeedError(f"{path}.managers", f"more than max_managers ({t.settings.max_managers})")
        for uid in members:
            add_member(t, g, uid, ROLE_OWNER if uid == owner else ROLE_MEMBER, now)
        for j, uid in enumerate(managers):
            if uid == owner or uid not in g.members:
                raise SeedError(f"{path}.managers[{j}]", f"{uid!r} is the owner or not a member")
            g.members[uid].role = ROLE_MANAGER
            g.managers[uid] = None

    def tenant_to_json(self, t: Tenant) -> dict:
        return {
            "app_key": t.app_key, "app_secret": t.app_secret,
            "settings": {f.name: getattr(t.settings, f.name) for f in dc_fields(AppSettings)},
            "groups": [group_to_json(g) for g in t.groups.values()],
            "bans": list(t.bans),
            "gags": {gid: dict(u) for gid, u in t.gags.items()},
            "whitelists": {gid: list(u) for gid, u in t.whitelists.items()},
            "remarks": {gid: dict(u) for gid, u in t.remarks.items()},
            "users": _users_json(t),
            **({"messages": t.messages.dump(), "msg_seq": t.msg_seq} if not t.messages.is_default() or t.msg_seq else {}),
            **({"history_deleted": list(t.history_deleted)} if t.history_deleted else {}),
        }

    def tenant_from_json(self, d: dict) -> Tenant:
        for name in ("app_key", "app_secret"):   # every later signature check hashes these
            if not isinstance(d[name], str) or not d[name]:
                raise ValueError(f"{name} must be a non-empty string")
        t = Tenant(d["app_key"], d["app_secret"], AppSettings(**(d.get("settings") or {})))
        for gd in d.get("groups") or []:
            g = group_from_json(gd)
            t.groups[g.groupId] = g
        t.bans = dict.fromkeys(d.get("bans") or [])
        t.gags = {gid: {u: int(x) for u, x in users.items()} for gid, users in (d.get("gags") or {}).items()}
        t.whitelists = {gid: dict.fromkeys(u) for gid, u in (d.get("whitelists") or {}).items()}
        t.remarks = {gid: dict(u) for gid, u in (d.get("remarks") or {}).items()}
        from .models_users import users_from_json
        t.users = users_from_json(d.get("users"))
        if d.get("messages"):
            t.messages = MessageStore.from_json(StoreSpec().load(d["messages"]))
        t.msg_seq = int(d.get("msg_seq", 0))
        t.history_deleted = dict.fromkeys(int(h) for h in d.get("history_deleted") or ())
        rebuild_index(t)
        adopt_rosters(t)
        return t

    def conversations_of(self, tenant_id: str, user: str) -> dict:
        """Private and system conversations (the store's), plus the groups the user is in now,
        from when they joined (their member time)."""
        out = super().conversations_of(tenant_id, user)
        t = self.tenants.get(tenant_id)
        if t is not None:
            for gid in t.user_groups.get(user, ()):
                joined = t.groups[gid].members[user].time / 1000
                out["group:" + gid] = out["online:group:" + gid] = joined
        return out

    def check_tenant(self, tenant_id: str, t: Tenant) -> list[str]:
        problems: list[str] = []
        cap = t.settings.max_members
        indexed = 0
        for gid, g in t.groups.items():
            if len(g.members) > cap:
                problems.append(f"group {gid}: {len(g.members)} members over the cap {cap}")
            owners = [u for u, m in g.members.items() if m.role == ROLE_OWNER]
            if g.entrust:
                if owners != [g.owner]:
                    problems.append(f"group {gid}: owner {g.owner!r} but owner members {owners}")
            elif owners or g.managers:
                problems.append(f"group {gid}: legacy group with owner/managers")
            role_mgr = {u for u, m in g.members.items() if m.role == ROLE_MANAGER}
            if role_mgr != set(g.managers):
                problems.append(f"group {gid}: managers {sorted(g.managers)} != manager roles {sorted(role_mgr)}")
            if len(g.managers) > t.settings.max_managers:
                problems.append(f"group {gid}: {len(g.managers)} managers over {t.settings.max_managers}")
            for uid in g.members:
                indexed += 1
                if gid not in t.user_groups.get(uid, {}):
                    problems.append(f"group {gid}: member {uid} missing from the user index")
        total = 0
        for uid, joined in t.user_groups.items():
            for gid in joined:
                total += 1
                g = t.groups.get(gid)
                if g is None:
                    problems.append(f"user {uid}: index points at missing group {gid}")
                elif uid not in g.members:
                    problems.append(f"user {uid}: index says member of {gid} but is not")
        if total != indexed:
            problems.append(f"user index has {total} entries, groups have {indexed} memberships")
        from .models_users import check_users
        problems.extend(check_users(t))
        from .models_messages import check_messages
        problems.extend(check_messages(t))
        return problems

    # the inspector's rows (inspector.py, imported when first asked for)
    def inspect_settings(self, tenant) -> dict:
        from .inspector import settings
        return settings(self, tenant)

    def inspect_rows(self, tenant, kind, parent, offset, limit):
        from .inspector import rows
        return rows(self, tenant, kind, parent, offset, limit)


def _users_json(t: Tenant) -> dict:
    from .models_users import users_to_json
    return users_to_json(t.users)


def json_param(value: Any) -> str:
    """Profiles and permissions are answered as JSON strings (reference 4.3, 4.14)."""
    return orjson.dumps(value).decode()
