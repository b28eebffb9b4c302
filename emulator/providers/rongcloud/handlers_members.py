"""Handlers of the entrust member APIs: member query and profile, remark names, follows."""

from __future__ import annotations

from emulator.providers.base import Call

from . import models_entrust as ops
from .models import ROLE_MEMBER, decode_page_token, page


def member_json(uid: str, m) -> dict:
    return {"userId": uid, "nickname": m.nickname, "role": m.role, "time": m.time, "extra": m.extra}


def query_members(call: Call) -> dict:
    """type 0 all / 1 regular / 2 managers / 3 owner, by join time (order 1: newest first)."""
    t, d = call.tenant, call.data
    g = ops.entrust_group(t, d["groupId"])
    offset = decode_page_token(d.get("pageToken"))
    kind, desc = d["type"], d["order"] == 1
    if kind == 0:
        ids, total = (reversed(g.members) if desc else iter(g.members)), len(g.members)
    elif kind == 1:
        source = reversed(g.members) if desc else iter(g.members)
        ids = (u for u in source if g.members[u].role == ROLE_MEMBER)
        total = len(g.members) - len(g.managers) - 1
    elif kind == 2:  # at most 10 managers: sorting them by join time is cheap
        ids = sorted(g.managers, key=lambda u: g.members[u].time, reverse=desc)
        total = len(g.managers)
    else:
        ids, total = [g.owner], 1
    uids, token = page(ids, offset, d["size"])
    return {"totalCount": total, "pageToken": token,
            "members": [member_json(u, g.members[u]) for u in uids]}


def query_specific_members(call: Call) -> dict:
    """The listed users that are members, in the order asked; others are left out."""
    t, d = call.tenant, call.data
    g = ops.entrust_group(t, d["groupId"])
    return {"members": [member_json(u, g.members[u]) for u in d["userIds"] if u in g.members]}


def set_member(call: Call) -> dict:
    ops.set_member(call.tenant, call.data)
    return {}


def set_remark_name(call: Call) -> dict:
    ops.set_remark_name(call.tenant, call.data)
    return {}


def delete_remark_name(call: Call) -> dict:
    ops.delete_remark_name(call.tenant, call.data)
    return {}


def query_remark_name(call: Call) -> dict:
    return {"remarkName": ops.remark_name(call.tenant, call.data)}


def follow(call: Call) -> dict:
    ops.follow(call.tenant, call.data, int(call.now * 1000))
    return {}


def unfollow(call: Call) -> dict:
    ops.unfollow(call.tenant, call.data)
    return {}


def followed(call: Call) -> dict:
    d = call.data
    follows = ops.followed(call.tenant, d)
    return {"userId": d["userId"], "groupId": d["groupId"],
            "members": [{"userId": u, "timestamp": ts} for u, ts in follows.items()]}


