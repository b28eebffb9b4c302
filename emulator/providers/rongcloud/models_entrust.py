"""Profile-hosting (entrust) group rules (reference 4). Each function validates the whole request
against the tenant before it changes anything, then applies it."""

from __future__ import annotations

from .errors import RongCloudError
from .models import JOIN_NOBODY, PERMISSION_RANGES, ROLE_MANAGER, ROLE_MEMBER, ROLE_OWNER, Group, \
    Tenant, add_member, check_capacity, drop_group, remove_member
from .schemas import ANNOUNCEMENT_MAX, EXT_KEY_MAX, EXT_PREFIX, EXT_VALUE_MAX, ID_MAX, INTRODUCTION_MAX, \
    PORTRAIT_URL_MAX

PROFILE_LIMITS = {"introduction": INTRODUCTION_MAX, "announcement": ANNOUNCEMENT_MAX,
                  "portraitUrl": PORTRAIT_URL_MAX}


# --- lookups and checks ------------------------------------------------------------------------

def entrust_group(t: Tenant, gid: str) -> Group:
    """The hosted group, 25410 when unknown, 25429 when it is a legacy group not yet imported."""
    g = t.groups.get(gid)
    if g is None:
        raise RongCloudError(25410, f"Group {gid} does not exist.")
    if not g.entrust:
        raise RongCloudError(25429, f"Group {gid} is a legacy group; import it first.")
    return g


def member_of(g: Group, uid: str):
    m = g.members.get(uid)
    if m is None:
        raise RongCloudError(25418, f"User {uid} is not in group {g.groupId}.")
    return m


def check_profile(profile: dict | None, allow_name: bool) -> dict:
    """groupProfile keys: introduction <= 512, announcement <= 1024, portraitUrl <= 128 (and
    name <= 64, non-empty, on profile/update)."""
    if not profile:
        return {}
    out = {}
    for key, value in profile.items():
        if key == "name" and allow_name:
            if not isinstance(value, str) or not value:
                raise RongCloudError(25423, "Group name must be a non-empty string.")
            if len(value) > ID_MAX:
                raise RongCloudError(25406, f"name is longer than {ID_MAX} characters.")
        elif key in PROFILE_LIMITS:
            if not isinstance(value, str):
                raise RongCloudError(25403, f"groupProfile.{key} must be a string.")
            if len(value) > PROFILE_LIMITS[key]:
                raise RongCloudError(25406, f"groupProfile.{key} is longer than {PROFILE_LIMITS[key]} characters.")
        else:
            raise RongCloudError(25403, f"groupProfile has an unknown key {key!r}.")
        out[key] = value
    return out


def check_permissions(perms: dict | None) -> dict:
    """Documented keys only (reference 4.14); values are numbers within each key's range."""
    if not perms:
        return {}
    out = {}
    for key, value in perms.items():
        if key not in PERMISSION_RANGES:
            raise RongCloudError(25403, f"permissions has an unknown key {key!r}.")
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise RongCloudError(25408, f"permissions.{key} must be a number.")
        if not 0 <= value <= PERMISSION_RANGES[key]:
            raise RongCloudError(25403, f"permissions.{key} must be between 0 and {PERMISSION_RANGES[key]}.")
        out[key] = value
    return out


def check_ext(t: Tenant, ext: dict | None, current: dict) -> dict:
    """ext keys start with ext_ and are <= 32 chars, values <= 256, <= max_ext_pairs pairs."""
    if not ext:
        return {}
    out = {}
    for key, value in ext.items():
        if not key.startswith(EXT_PREFIX) or key == EXT_PREFIX:
            raise RongCloudError(25407, f"groupExtProfile key {key!r} must start with {EXT_PREFIX}.")
        if len(key) > EXT_KEY_MAX:
            raise RongCloudError(25406, f"groupExtProfile key {key[:16]!r}... is longer than {EXT_KEY_MAX}.")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise RongCloudError(25403, f"groupExtProfile.{key} must be a string.")
        if len(value) > EXT_VALUE_MAX:
            raise RongCloudError(25406, f"groupExtProfile.{key} is longer than {EXT_VALUE_MAX}.")
        out[key] = value
    if len({**current, **out}) > t.settings.max_ext_pairs:
        raise RongCloudError(25406, f"groupExtProfile holds more than {t.settings.max_ext_pairs} pairs.")
    return out


def leave(t: Tenant, g: Group, uids: list[str], d: dict) -> None:
    for uid in uids:
        remove_member(t, g, uid, bool(d.get("isDelBan", 1)), bool(d.get("isDelWhite", 1)),
                      bool(d.get("isDelFollowed", 1)))


# --- group lifecycle -------------------------------------------------------------------------

def create(t: Tenant, d: dict, now: int) -> None:
    """The owner joins as owner, userIds (<= 30) as members; 25409 when the id is taken."""
    gid, owner = d["groupId"], d["owner"]
    if gid in t.groups:
        raise RongCloudError(25409, f"Group {gid} already exists.")
    profile = check_profile(d.get("groupProfile"), allow_name=False)
    perms = check_permissions(d.get("permissions"))
    ext = check_ext(t, d.get("groupExtProfile"), {})
    others = [u for u in d.get("userIds") or [] if u != owner]
    check_capacity(t, None, 1 + len(others))
    g = Group(gid, d["name"], True, now, owner, owner, profile, perms, ext)
    t.groups[gid] = g
    add_member(t, g, owner, ROLE_OWNER, now)
    for uid in others:
        add_member(t, g, uid, ROLE_MEMBER, now)


def import_group(t: Tenant, d: dict, now: int) -> None:
    """A legacy group becomes hosted, keeping its members; an id nobody used yet becomes a new
    hosted group of the owner alone (UNKNOWN on the real service); a hosted one is 25409."""
    gid, owner = d["groupId"], d["owner"]
    g = t.groups.get(gid)
    if g is not None and g.entrust:
        raise RongCloudError(25409, f"Group {gid} is already hosted.")
    profile = check_profile(d.get("groupProfile"), allow_name=False)
    perms = check_permissions(d.get("permissions"))
    ext = check_ext(t, d.get("groupExtProfile"), {})
    if g is None or owner not in g.members:
        check_capacity(t, g, 1)
    if g is None:
        g = Group(gid, d["name"], True, now, owner, owner)
        t.groups[gid] = g
    g.entrust, g.name, g.owner, g.creator = True, d["name"], owner, owner
    g.groupProfile, g.permissions, g.groupExtProfile = profile, perms, ext
    if owner in g.members:
        g.members[owner].role = ROLE_OWNER
    else:
        add_member(t, g, owner, ROLE_OWNER, now)


def update_profile(t: Tenant, d: dict) -> None:
    """Merges groupProfile (name allowed inside), permissions and groupExtProfile."""
    g = entrust_group(t, d["groupId"])
    profile = check_profile(d.get("groupProfile"), allow_name=True)
    perms = check_permissions(d.get("permissions"))
    ext = check_ext(t, d.get("groupExtProfile"), g.groupExtProfile)
    name = profile.pop("name", None) or d.get("name")
    if name is not None:
        g.name = name
    g.groupProfile.update(profile)
    g.permissions.update(perms)
    g.groupExtProfile.update(ext)


def dismiss(t: Tenant, gid: str) -> None:
    entrust_group(t, gid)
    drop_group(t, gid)


def quit_or_kick(t: Tenant, d: dict) -> None:
    """All userIds must be members (25418) and none the owner (25417)."""
    g = entrust_group(t, d["groupId"])
    for uid in d["userIds"]:
        if uid == g.owner:
            raise RongCloudError(25417, f"The owner {uid} cannot quit or be kicked.")
        member_of(g, uid)
    leave(t, g, d["userIds"], d)


def kick_all(t: Tenant, uid: str) -> None:
    """Removes a non-owner from every group; an owner must transfer first (25417)."""
    joined = list(t.user_groups.get(uid, {}))
    for gid in joined:
        if t.groups[gid].entrust and t.groups[gid].owner == uid:
            raise RongCloudError(25417, f"User {uid} owns group {gid}; transfer it first.")
    for gid in joined:
        remove_member(t, t.groups[gid], uid, True, True, True)


def join(t: Tenant, d: dict, now: int) -> Group:
    """joinPerm 3 refuses everyone (25414); members already in are 25412; the cap is 25411."""
    g = entrust_group(t, d["groupId"])
    if g.full_permissions()["joinPerm"] == JOIN_NOBODY:
        raise RongCloudError(25414, f"Group {g.groupId} does not allow joining.")
    for uid in d["userIds"]:
        if uid in g.members:
            raise RongCloudError(25412, f"User {uid} is already in group {g.groupId}.")
    check_capacity(t, g, len(d["userIds"]))
    for uid in d["userIds"]:
        add_member(t, g, uid, ROLE_MEMBER, now)
    return g


def transfer_owner(t: Tenant, d: dict) -> None:
    """newOwner must be a member (25418); isQuit 1 makes the old owner leave with the isDel* flags."""
    g = entrust_group(t, d["groupId"])
    new = d["newOwner"]
    member_of(g, new)
    old = g.owner
    if new == old:
        return
    g.managers.pop(new, None)
    g.members[new].role = ROLE_OWNER
    g.members[old].role = ROLE_MEMBER
    g.owner = new
    if d.get("isQuit"):
        leave(t, g, [old], d)


# --- managers ----------------------------------------------------------------------------------

def add_managers(t: Tenant, d: dict) -> list[str]:
    """At most max_managers (10) per group: 25419 with managerCount; the owner is 25425.
    Returns the ids that were not added because they are not members."""
    g = entrust_group(t, d["groupId"])
    if g.owner in d["userIds"]:
        raise RongCloudError(25425, "The group owner cannot be a manager.")
    missing = [u for u in d["userIds"] if u not in g.members]
    new = [u for u in d["userIds"] if u in g.members and u not in g.managers]
    if len(g.managers) + len(new) > t.settings.max_managers:
        raise RongCloudError(25419, f"A group has at most {t.settings.max_managers} managers.",
                             managerCount=len(g.managers))
    for uid in new:
        g.members[uid].role = ROLE_MANAGER
        g.managers[uid] = None
    return missing


def remove_managers(t: Tenant, d: dict) -> None:
    g = entrust_group(t, d["groupId"])
    for uid in d["userIds"]:
        if uid not in g.managers:
            raise RongCloudError(25420, f"User {uid} is not a manager of group {g.groupId}.")
    for uid in d["userIds"]:
        del g.managers[uid]
        g.members[uid].role = ROLE_MEMBER


# --- members -----------------------------------------------------------------------------------

def set_member(t: Tenant, d: dict) -> None:
    g = entrust_group(t, d["groupId"])
    m = member_of(g, d["userId"])
    m.nickname = d["nickname"]
    if d.get("extra") is not None:
        m.extra = d["extra"]


def set_remark_name(t: Tenant, d: dict) -> None:
    g = entrust_group(t, d["groupId"])
    member_of(g, d["userId"])
    t.remarks.setdefault(g.groupId, {})[d["userId"]] = d["remarkName"]


def delete_remark_name(t: Tenant, d: dict) -> None:
    g = entrust_group(t, d["groupId"])
    member_of(g, d["userId"])
    names = t.remarks.get(g.groupId)
    if names is not None:
        names.pop(d["userId"], None)
        if not names:
            del t.remarks[g.groupId]


def remark_name(t: Tenant, d: dict) -> str:
    g = entrust_group(t, d["groupId"])
    member_of(g, d["userId"])
    return t.remarks.get(g.groupId, {}).get(d["userId"], "")


def follow(t: Tenant, d: dict, now: int) -> None:
    """Both sides must be members (25418); at most max_follows per user per group (25419)."""
    g = entrust_group(t, d["groupId"])
    uid = d["userId"]
    member_of(g, uid)
    for target in d["followUserIds"]:
        member_of(g, target)
    current = g.follows.get(uid, {})
    new = [u for u in d["followUserIds"] if u not in current]
    if len(current) + len(new) > t.settings.max_follows:
        raise RongCloudError(25419, f"A member follows at most {t.settings.max_follows} members.")
    mine = g.follows.setdefault(uid, {})
    for target in new:
        mine[target] = now


def unfollow(t: Tenant, d: dict) -> None:
    g = entrust_group(t, d["groupId"])
    member_of(g, d["userId"])
    mine = g.follows.get(d["userId"])
    if mine:
        for target in d["followUserIds"]:
            mine.pop(target, None)
        if not mine:
            del g.follows[d["userId"]]


def followed(t: Tenant, d: dict) -> dict:
    g = entrust_group(t, d["groupId"])
    member_of(g, d["userId"])
    return g.follows.get(d["userId"], {})
