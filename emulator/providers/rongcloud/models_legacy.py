"""Legacy (basic) group rules (reference 5). The legacy API is lenient: operations on a group id
nobody created answer 200 (the [PY2] and rc-server-sdk suites expect it), so group-level settings
(whole-group mute, mute lists, allowlists, remarks) are kept per group id, group or not."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .errors import RongCloudError
from .models import (ROLE_MEMBER, Group, Tenant, add_member, check_capacity, check_group_quota,
                     drop_group, remove_member)

GAG_FOREVER = 0                      # minute=0: permanent mute ([PY3] gag add docstring)
GAG_FOREVER_TEXT = "9999-12-31 23:59:59"
USER_GROUPS_FIRST_PAGE = 5000        # page 0 or absent answers the first 5000 ([DOC-EN] query-group-by-user)
# Mute expiry is shown as local time of the service (China Standard Time; UNKNOWN for others).
SERVICE_TZ = timezone(timedelta(hours=8))
CAPACITY_CODE = 405                  # HTTP 405 "group capacity exceeded" (old status table)


def join(t: Tenant, uids: list[str], gid: str, name: str, now: int) -> None:
    """create is an alias of join: a missing group is created; new members are added."""
    g = t.groups.get(gid)
    new = [u for u in uids if g is None or u not in g.members]
    check_capacity(t, g, len(new), CAPACITY_CODE)
    if g is None:
        g = t.groups[gid] = Group(gid, name, False, now)
    elif not g.entrust:
        g.name = name
    for uid in new:
        add_member(t, g, uid, ROLE_MEMBER, now)


def quit(t: Tenant, uids: list[str], gid: str) -> None:
    """Unknown groups and non-members are ignored; a hosted group's owner cannot leave (25417)."""
    g = t.groups.get(gid)
    if g is None:
        return
    if g.entrust and g.owner in uids:
        raise RongCloudError(25417, f"The owner {g.owner} cannot quit; transfer the group first.")
    for uid in uids:
        remove_member(t, g, uid)


def dismiss(t: Tenant, gid: str) -> None:
    """Any user may dismiss; an unknown group id is fine."""
    drop_group(t, gid)


def refresh(t: Tenant, gid: str, name: str) -> None:
    g = t.groups.get(gid)
    if g is not None:
        g.name = name


def sync(t: Tenant, uid: str, pairs: list[tuple[str, str]], now: int) -> None:
    """The user's legacy memberships become exactly ``pairs`` (none: all of them go); listed
    legacy groups take the given name; hosted groups are managed by the entrust API and kept."""
    wanted = dict(pairs)
    check_group_quota(t, sum(1 for gid in wanted if gid not in t.groups))
    for gid in wanted:
        g = t.groups.get(gid)
        if g is None or uid not in g.members:
            check_capacity(t, g, 1, CAPACITY_CODE)
    for gid in list(t.user_groups.get(uid, {})):
        g = t.groups[gid]
        if gid not in wanted and not g.entrust:
            remove_member(t, g, uid)
    for gid, name in wanted.items():
        g = t.groups.get(gid)
        if g is None:
            g = t.groups[gid] = Group(gid, name, False, now)
        elif not g.entrust:
            g.name = name
        if uid not in g.members:
            add_member(t, g, uid, ROLE_MEMBER, now)


def group_users(t: Tenant, gid: str) -> list[str]:
    g = t.groups.get(gid)
    return list(g.members) if g is not None else []


def user_groups(t: Tenant, uid: str, page: int, size: int) -> list[Group]:
    """page 0: the first 5000 groups; page n >= 1: the n-th page of ``size`` groups."""
    from itertools import islice
    joined = t.user_groups.get(uid, {})
    if page == 0:
        start, stop = 0, USER_GROUPS_FIRST_PAGE
    else:
        start, stop = (page - 1) * size, page * size
    return [t.groups[gid] for gid in islice(joined, start, stop)]


# --- member mute (gag) ---------------------------------------------------------------------------

def _targets(t: Tenant, uid: str, gid: str | None) -> list[str]:
    return [gid] if gid is not None else list(t.user_groups.get(uid, {}))


def gag_add(t: Tenant, uids: list[str], gid: str | None, minute: int, now: int) -> None:
    """Mute for ``minute`` minutes on the emulator clock (0 = permanent); no groupId: every group
    the user is in."""
    expiry = GAG_FOREVER if minute == 0 else now + minute * 60_000
    for uid in uids:
        for g in _targets(t, uid, gid):
            t.gags.setdefault(g, {})[uid] = expiry


def gag_rollback(t: Tenant, uids: list[str], gid: str | None) -> None:
    for uid in uids:
        for g in _targets(t, uid, gid) if gid is not None else list(t.gags):
            users = t.gags.get(g)
            if users is not None:
                users.pop(uid, None)
                if not users:
                    del t.gags[g]


def format_time(ms: int) -> str:
    if ms == GAG_FOREVER:
        return GAG_FOREVER_TEXT
    return datetime.fromtimestamp(ms / 1000, SERVICE_TZ).strftime("%Y-%m-%d %H:%M:%S")


def gag_list(t: Tenant, gid: str | None, now: int) -> list[dict]:
    """Mutes still in force: ``time`` is when each one ends; without groupId, every group."""
    out = []
    for g in [gid] if gid is not None else list(t.gags):
        for uid, expiry in t.gags.get(g, {}).items():
            if expiry == GAG_FOREVER or expiry > now:
                item = {"time": format_time(expiry), "userId": uid}
                if gid is None:
                    item["groupId"] = g
                out.append(item)
    return out


# --- whole-group mute (ban) and its allowlist --------------------------------------------------

def ban_add(t: Tenant, gids: list[str], white: list[str], clear_ban: bool) -> None:
    for gid in gids:
        t.bans[gid] = None
        if white:
            t.whitelists.setdefault(gid, {}).update(dict.fromkeys(white))
        if clear_ban:
            t.gags.pop(gid, None)


def ban_rollback(t: Tenant, gids: list[str], clear_white: bool) -> None:
    for gid in gids:
        t.bans.pop(gid, None)
        if clear_white:
            t.whitelists.pop(gid, None)


def ban_query(t: Tenant, gids: list[str]) -> list[dict]:
    """stat 1 muted, 0 not; without groupId, every muted group."""
    if not gids:
        return [{"groupId": gid, "stat": 1} for gid in t.bans]
    return [{"groupId": gid, "stat": 1 if gid in t.bans else 0} for gid in gids]


def whitelist_add(t: Tenant, uids: list[str], gid: str) -> None:
    t.whitelists.setdefault(gid, {}).update(dict.fromkeys(uids))


def whitelist_rollback(t: Tenant, uids: list[str], gid: str) -> None:
    users = t.whitelists.get(gid)
    if users is not None:
        for uid in uids:
            users.pop(uid, None)
        if not users:
            del t.whitelists[gid]


def whitelist_query(t: Tenant, gid: str) -> list[str]:
    return list(t.whitelists.get(gid, {}))


# --- remarks (the per-user name of a group, shared with entrust remarkname) -------------------

def remark_set(t: Tenant, uid: str, gid: str, remark: str) -> None:
    t.remarks.setdefault(gid, {})[uid] = remark


def remark_del(t: Tenant, uid: str, gid: str) -> None:
    names = t.remarks.get(gid)
    if names is not None:
        names.pop(uid, None)
        if not names:
            del t.remarks[gid]


def remark_get(t: Tenant, uid: str, gid: str) -> str:
    return t.remarks.get(gid, {}).get(uid, "")
