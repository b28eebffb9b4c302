"""Rows for the inspector (/_emulator/ui and its JSON endpoints): plain dicts in OpenIM's own
field names, read from the state without changing it. The secret and token strings are left out
(a token row says whose it is and its state, never the token)."""

from __future__ import annotations

from itertools import islice

from .models import DEFAULT_SETTINGS, STATUS_DISMISSED


def settings(backend, t) -> dict:
    """The effective settings: the tenant's own values over its version profile's."""
    return {"admins": list(t.admins), **{name: t.setting(name) for name in DEFAULT_SETTINGS}}


def _users(t):
    per_user: dict = {}
    for uid, _pid, state, _exp in t.tokens.values():
        counts = per_user.setdefault(uid, {})
        counts[state] = counts.get(state, 0) + 1
    for u in t.users.values():
        yield {"userID": u.userID, "nickname": u.nickname, "faceURL": u.faceURL, "ex": u.ex,
               "createTime": u.createTime, "appMangerLevel": u.appMangerLevel,
               "groups": len(t.user_groups.get(u.userID) or ()),
               "tokens": ", ".join(f"{n} state {s}" for s, n in sorted(per_user.get(u.userID, {}).items()))}


def _tokens(backend, t, offset):
    now_ms = backend.clock.now_ms()
    for i, (token, (uid, pid, state, exp)) in enumerate(t.tokens.items(), 1):
        if i <= offset:
            continue
        # check: what /_emulator/tokens/check answers for it (the token itself is never shown)
        yield {"token": f"#{i}", "userID": uid, "platformID": pid, "state": state, "expireTime": exp,
               "check": backend.check_client_token(t.id, token, now_ms).reason}


def _groups(t):
    store = getattr(t, "messages", None)
    for g in t.groups.values():
        # the group's conversation in the message store (models_messages.group_conv_id), once it has one
        conv = store.get("sg_" + g.groupID) if store is not None else None
        yield {"groupID": g.groupID, "groupName": g.groupName, "groupType": g.groupType,
               "ownerUserID": g.owner, "memberCount": len(g.members), "status": g.status,
               "dismissed": g.status == STATUS_DISMISSED, "createTime": g.createTime,
               "conversation": conv.id if conv is not None else ""}


def _members(g):
    for uid, m in g.members.items():
        yield {"userID": uid, "roleLevel": m.roleLevel, "joinTime": m.joinTime, "nickname": m.nickname,
               "muteEndTime": m.muteEndTime, "inviterUserID": m.inviterUserID}


def rows(backend, t, kind: str, parent: str | None, offset: int, limit: int):
    """(key column, total, rows of the page) or None when OpenIM keeps no such rows."""
    if kind == "users":
        return "userID", len(t.users), list(islice(_users(t), offset, offset + limit))
    if kind == "tokens":
        return "token", len(t.tokens), list(islice(_tokens(backend, t, offset), limit))
    if kind == "groups":
        return "groupID", len(t.groups), list(islice(_groups(t), offset, offset + limit))
    if kind == "members":
        g = t.groups.get(parent)
        if g is None:
            raise KeyError(parent)
        return "userID", len(g.members), list(islice(_members(g), offset, offset + limit))
    return None
