"""Handlers of the entrust group lifecycle, profile, manager and group-query APIs: validated
body -> backend call -> response fields (the provider adds "code": 200)."""

from __future__ import annotations

from emulator.providers.base import Call

from . import callbacks as cb
from . import models_entrust as ops
from .errors import RongCloudError
from .models import Group, Tenant, decode_page_token, json_param, page
from .schemas import PROFILE_QUERY_GROUP_IDS_MAX


def now_ms(call: Call) -> int:
    return int(call.now * 1000)


def group_info(t: Tenant, g: Group) -> dict:
    """The hosted-group fields join and profile/query answer with (JSON-valued as strings)."""
    return {
        "groupId": g.groupId, "groupProfile": json_param(g.groupProfile),
        "groupExtProfile": json_param(g.groupExtProfile), "permissions": json_param(g.full_permissions()),
        "owner": g.owner, "createTime": g.createTime, "memberCount": len(g.members),
    }


def create(call: Call) -> dict:
    ops.create(call.tenant, call.data, now_ms(call))
    g = call.tenant.groups[call.data["groupId"]]
    cb.group_operation(call, g.groupId, cb.CREATED, list(g.members))   # the initial members
    return {}


def import_group(call: Call) -> dict:
    ops.import_group(call.tenant, call.data, now_ms(call))
    return {}


def update_profile(call: Call) -> dict:
    ops.update_profile(call.tenant, call.data)
    g = call.tenant.groups[call.data["groupId"]]
    cb.group_info(call, g, g.groupProfile, g.groupExtProfile, g.full_permissions())
    return {}


def query_profiles(call: Call) -> dict:
    """groupIds (or the doc example's groupId); unknown and legacy ids are left out."""
    t, d = call.tenant, call.data
    ids = list(dict.fromkeys(d["groupIds"] + d["groupId"]))
    if not ids:
        raise RongCloudError(1002, "groupIds is required.")
    if len(ids) > PROFILE_QUERY_GROUP_IDS_MAX:
        raise RongCloudError(25422, f"At most {PROFILE_QUERY_GROUP_IDS_MAX} groups per query.")
    profiles = []
    for gid in ids:
        g = t.groups.get(gid)
        if g is not None and g.entrust:
            info = group_info(t, g)
            profiles.append({"groupId": gid, "groupName": g.name, **{k: v for k, v in info.items()
                                                                    if k != "groupId"}})
    return {"profiles": profiles}


def quit(call: Call) -> dict:
    ops.quit_or_kick(call.tenant, call.data)
    cb.group_operation(call, call.data["groupId"], cb.QUIT, call.data["userIds"])
    return {}


def kick(call: Call) -> dict:
    ops.quit_or_kick(call.tenant, call.data)
    cb.group_operation(call, call.data["groupId"], cb.KICKED, call.data["userIds"])
    return {}


def kick_all(call: Call) -> dict:
    uid = call.data["userId"]
    groups = list(call.tenant.user_groups.get(uid, {}))
    ops.kick_all(call.tenant, uid)
    for gid in groups:
        if call.tenant.groups[gid].entrust:     # the sync callbacks are for hosted groups only
            cb.group_operation(call, gid, cb.KICKED, [uid])
    return {}


def dismiss(call: Call) -> dict:
    ops.dismiss(call.tenant, call.data["groupId"])
    cb.group_operation(call, call.data["groupId"], cb.DISMISSED)
    return {}


def join(call: Call) -> dict:
    t = call.tenant
    g = ops.join(t, call.data, now_ms(call))
    cb.group_operation(call, g.groupId, cb.JOINED, call.data["userIds"])
    info = group_info(t, g)
    return {"groupId": g.groupId, "name": g.name, **{k: v for k, v in info.items() if k != "groupId"}}


def transfer_owner(call: Call) -> dict:
    d = call.data
    old = ops.entrust_group(call.tenant, d["groupId"]).owner
    ops.transfer_owner(call.tenant, d)
    if d["newOwner"] != old:    # userIds of a transfer: UNKNOWN (§3.7); the new owner
        cb.group_operation(call, d["groupId"], cb.OWNER_TRANSFERRED, [d["newOwner"]])
        if d.get("isQuit"):
            cb.group_operation(call, d["groupId"], cb.QUIT, [old])
    return {}


def add_managers(call: Call) -> dict:
    g = ops.entrust_group(call.tenant, call.data["groupId"])
    before = set(g.managers)
    missing = ops.add_managers(call.tenant, call.data)
    added = [u for u in g.managers if u not in before]
    if added:
        cb.group_operation(call, g.groupId, cb.MANAGER_ADDED, added)
    return {"userIds": missing}


def remove_managers(call: Call) -> dict:
    ops.remove_managers(call.tenant, call.data)
    cb.group_operation(call, call.data["groupId"], cb.MANAGER_REMOVED, call.data["userIds"])
    return {}


def query_groups(call: Call) -> dict:
    """Every hosted group of the App-Key by creation time (order 1: newest first)."""
    t, d = call.tenant, call.data
    offset = decode_page_token(d.get("pageToken"))
    source = reversed(t.groups.values()) if d["order"] == 1 else iter(t.groups.values())
    groups, token = page((g for g in source if g.entrust), offset, d["size"])
    return {"pageToken": token, "groups": [
        {"groupId": g.groupId, "name": g.name, "creator": g.creator, "owner": g.owner,
         "portraitUrl": g.groupProfile.get("portraitUrl", ""), "time": g.createTime} for g in groups]}


def query_joined_groups(call: Call) -> dict:
    """The hosted groups a user is in, by join time; role 0 all, 1 member, 2 manager, 3 owner."""
    t, d = call.tenant, call.data
    uid, role = d["userId"], d["role"]
    offset = decode_page_token(d.get("pageToken"))
    joined = t.user_groups.get(uid, {})
    source = reversed(joined) if d["order"] == 1 else iter(joined)

    def wanted(gid: str) -> bool:
        g = t.groups[gid]
        return g.entrust and (role == 0 or g.members[uid].role == role)

    total = sum(1 for gid in joined if wanted(gid))
    gids, token = page((gid for gid in source if wanted(gid)), offset, d["size"])
    groups = []
    for gid in gids:
        g, m = t.groups[gid], t.groups[gid].members[uid]
        groups.append({
            "groupId": gid, "name": g.name, "remarkName": t.remarks.get(gid, {}).get(uid, ""),
            "groupProfile": json_param(g.groupProfile), "groupExtProfile": json_param(g.groupExtProfile),
            "permissions": json_param(g.full_permissions()), "createTime": g.createTime,
            "joinTime": m.time, "role": m.role, "count": len(g.members), "owner": g.owner,
        })
    return {"totalCount": total, "pageToken": token, "groups": groups}

