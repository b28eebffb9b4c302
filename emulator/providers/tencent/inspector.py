"""Rows for the inspector (/_emulator/ui and its JSON endpoints): plain dicts in Tencent's own
field names, read from the state without changing it. Secrets (the app key) are left out."""

from __future__ import annotations

from itertools import islice


def settings(backend, app) -> dict:
    return {"admins": list(app.admins), "rate_limit": app.rate_limit, "limits": dict(app.limits),
            "max_members": dict(app.max_members)}


def _users(app):
    for uid, profile in app.accounts.items():
        yield {"UserID": uid, **{k: v for k, v in profile.items() if k != "UserID"},
               "groups": len(app.joined.get(uid) or ())}


def _groups(app):
    store = getattr(app, "messages", None)
    for g in app.groups.values():
        # the group's conversation in the message store (models_messages.group_id), once it has one
        conv = store.get("group:" + g.GroupId) if store is not None else None
        yield {"GroupId": g.GroupId, "Type": g.Type, "Name": g.Name, "Owner_Account": g.Owner_Account,
               "MemberNum": len(g.members), "MuteAllMember": g.MuteAllMember,
               "MutedMembers": len(g.muted), "CreateTime": g.CreateTime,
               "conversation": conv.id if conv is not None else ""}


def _members(g):
    for uid, m in g.members.items():
        yield {"Member_Account": uid, "Role": m.Role, "JoinTime": m.JoinTime, "NameCard": m.NameCard,
               "MutedUntil": g.muted.get(uid, 0), "MsgFlag": m.MsgFlag}


def rows(backend, app, kind: str, parent: str | None, offset: int, limit: int):
    """(key column, total, rows of the page) or None when Tencent keeps no such rows."""
    if kind == "users":
        return "UserID", len(app.accounts), list(islice(_users(app), offset, offset + limit))
    if kind == "groups":
        return "GroupId", len(app.groups), list(islice(_groups(app), offset, offset + limit))
    if kind == "members":
        g = app.groups.get(parent)
        if g is None:
            raise KeyError(parent)
        return "Member_Account", len(g.members), list(islice(_members(g), offset, offset + limit))
    return None
