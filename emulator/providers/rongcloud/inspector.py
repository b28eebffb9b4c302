"""Rows for the inspector (/_emulator/ui and its JSON endpoints): plain dicts in RongCloud's own
field names, read from the state without changing it. The App Secret is left out."""

from __future__ import annotations

from dataclasses import fields as dc_fields
from itertools import islice

from .models import AppSettings


def settings(backend, t) -> dict:
    return {f.name: getattr(t.settings, f.name) for f in dc_fields(AppSettings)}


def _users(t):
    us = t.users
    for uid, u in us.users.items():
        yield {"userId": uid, "name": u.name, "portraitUri": u.portraitUri, "createTime": u.createTime,
               "deactivated": uid in us.deactivated, "blacklist": len(us.blacklists.get(uid) or ()),
               "groups": len(t.user_groups.get(uid) or ())}


def _groups(t):
    store = getattr(t, "messages", None)
    for g in t.groups.values():
        # the group's stored conversation (models_messages: "group:" + groupId), once it has one
        conv = store.get("group:" + g.groupId) if store is not None else None
        yield {"groupId": g.groupId, "name": g.name, "entrust": g.entrust, "owner": g.owner,
               "memberCount": len(g.members), "managers": len(g.managers),
               "banned": g.groupId in t.bans, "gagged": len(t.gags.get(g.groupId) or ()),
               "createTime": g.createTime, "conversation": conv.id if conv is not None else ""}


def _members(t, g):
    gags = t.gags.get(g.groupId) or {}
    for uid, m in g.members.items():
        yield {"userId": uid, "role": m.role, "time": m.time, "nickname": m.nickname,
               "gagged": uid in gags, "gagExpiry": gags.get(uid, "")}


def rows(backend, t, kind: str, parent: str | None, offset: int, limit: int):
    """(key column, total, rows of the page) or None when RongCloud keeps no such rows."""
    if kind == "users":
        return "userId", len(t.users.users), list(islice(_users(t), offset, offset + limit))
    if kind == "groups":
        return "groupId", len(t.groups), list(islice(_groups(t), offset, offset + limit))
    if kind == "members":
        g = t.groups.get(parent)
        if g is None:
            raise KeyError(parent)
        return "userId", len(g.members), list(islice(_members(t, g), offset, offset + limit))
    return None
