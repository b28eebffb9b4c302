"""Handlers of the legacy group API: validated body -> backend call -> response fields."""

from __future__ import annotations

from emulator.providers.base import Call

from . import models_legacy as ops


def now_ms(call: Call) -> int:
    return int(call.now * 1000)


def create(call: Call) -> dict:
    d = call.data
    ops.join(call.tenant, d["userId"], d["groupId"], d["groupName"], now_ms(call))
    return {}


join = create


def quit(call: Call) -> dict:
    ops.quit(call.tenant, call.data["userId"], call.data["groupId"])
    return {}


def dismiss(call: Call) -> dict:
    ops.dismiss(call.tenant, call.data["groupId"])
    return {}


def refresh(call: Call) -> dict:
    ops.refresh(call.tenant, call.data["groupId"], call.data["groupName"])
    return {}


def sync(call: Call) -> dict:
    ops.sync(call.tenant, call.data["userId"], call.data["group"], now_ms(call))
    return {}


def group_users(call: Call) -> dict:
    return {"users": [{"id": uid} for uid in ops.group_users(call.tenant, call.data["groupId"])]}


def user_groups(call: Call) -> dict:
    d = call.data
    groups = ops.user_groups(call.tenant, d["userId"], d["page"], d["size"])
    return {"groups": [{"id": g.groupId, "name": g.name} for g in groups]}


def gag_add(call: Call) -> dict:
    d = call.data
    ops.gag_add(call.tenant, d["userId"], d["groupId"], d["minute"], now_ms(call))
    return {}


def gag_rollback(call: Call) -> dict:
    ops.gag_rollback(call.tenant, call.data["userId"], call.data["groupId"])
    return {}


def gag_list(call: Call) -> dict:
    return {"users": ops.gag_list(call.tenant, call.data["groupId"], now_ms(call))}


def ban_add(call: Call) -> dict:
    d = call.data
    ops.ban_add(call.tenant, d["groupId"], d["whiteUserId"], bool(d["isClearBanUser"]))
    return {}


def ban_rollback(call: Call) -> dict:
    ops.ban_rollback(call.tenant, call.data["groupId"], bool(call.data["isClearWhiteUser"]))
    return {}


def ban_query(call: Call) -> dict:
    return {"groupinfo": ops.ban_query(call.tenant, call.data["groupId"])}


def whitelist_add(call: Call) -> dict:
    ops.whitelist_add(call.tenant, call.data["userId"], call.data["groupId"])
    return {}


def whitelist_rollback(call: Call) -> dict:
    ops.whitelist_rollback(call.tenant, call.data["userId"], call.data["groupId"])
    return {}


def whitelist_query(call: Call) -> dict:
    return {"userIds": ops.whitelist_query(call.tenant, call.data["groupId"])}


def remark_set(call: Call) -> dict:
    d = call.data
    ops.remark_set(call.tenant, d["userId"], d["groupId"], d["remark"])
    return {}


def remark_del(call: Call) -> dict:
    ops.remark_del(call.tenant, call.data["userId"], call.data["groupId"])
    return {}


def remark_get(call: Call) -> dict:
    return {"remark": ops.remark_get(call.tenant, call.data["userId"], call.data["groupId"])}
