"""Handlers of the user APIs: validated form -> models_users -> reply fields."""

from __future__ import annotations

from emulator.providers.base import Call

from . import models_users as ops
from .models import json_param
from .schemas import PROFILE_PAGE_DEFAULT


def now_ms(call: Call) -> int:
    return int(call.now * 1000)


def get_token(call: Call) -> dict:
    d = call.data
    token = ops.get_token(call.tenant, d["userId"], d["name"], d["portraitUri"], now_ms(call))
    return {"userId": d["userId"], "token": token}


def token_expire(call: Call) -> dict:
    ops.expire_tokens(call.tenant, call.data["userId"], call.data["time"], now_ms(call))
    return {}


def refresh(call: Call) -> dict:
    d = call.data
    ops.refresh(call.tenant, d["userId"], d["name"], d["portraitUri"], now_ms(call))
    return {}


def info(call: Call) -> dict:
    return ops.info(call.tenant, call.data["userId"])


def check_online(call: Call) -> dict:
    return ops.check_online(call.tenant, call.data["userId"])


def block(call: Call) -> dict:
    ops.block(call.tenant, call.data["userId"], call.data["minute"], now_ms(call))
    return {}


def unblock(call: Call) -> dict:
    ops.unblock(call.tenant, call.data["userId"])
    return {}


def block_query(call: Call) -> dict:
    d = call.data
    return {"users": ops.block_query(call.tenant, d["page"], d["size"], now_ms(call))}


def deactivate(call: Call) -> dict:
    return {"operateId": ops.deactivate(call.tenant, call.data["userId"], now_ms(call))}


def reactivate(call: Call) -> dict:
    return {"operateId": ops.reactivate(call.tenant, call.data["userId"], now_ms(call))}


def deactivate_query(call: Call) -> dict:
    d = call.data
    return {"users": ops.deactivated_page(call.tenant, d["pageNo"], d["pageSize"])}


def blacklist_add(call: Call) -> dict:
    ops.list_add(call.tenant, call.data["userId"], call.data["blackUserId"], now_ms(call))
    return {}


def blacklist_remove(call: Call) -> dict:
    ops.list_remove(call.tenant, call.data["userId"], call.data["blackUserId"])
    return {}


def whitelist_add(call: Call) -> dict:
    ops.list_add(call.tenant, call.data["userId"], call.data["whiteUserId"], now_ms(call), "white")
    return {}


def whitelist_remove(call: Call) -> dict:
    ops.list_remove(call.tenant, call.data["userId"], call.data["whiteUserId"], "white")
    return {}


def whitelist_query(call: Call) -> dict:
    return {"users": ops.whitelist_query(call.tenant, call.data["userId"])}


def blacklist_query(call: Call) -> dict:
    d = call.data
    return ops.blacklist_query(call.tenant, d["userId"], d["pageToken"], d["size"])


def profile_set(call: Call) -> dict:
    d = call.data
    ops.profile_set(call.tenant, d["userId"], d["userProfile"], d["userExtProfile"], now_ms(call))
    return {}


def profile_clean(call: Call) -> dict:
    ops.profile_clean(call.tenant, call.data["userId"])
    return {}


def profile_batch_query(call: Call) -> dict:
    return {"userList": [{"userId": uid, "version": p.version, "userProfile": json_param(p.userProfile),
                          "userExtProfile": json_param(p.userExtProfile)}
                         for uid, p in ops.profile_batch(call.tenant, call.data["userId"])]}


def profile_query(call: Call) -> dict:
    d = call.data
    size = d["size"] or d["count"] or PROFILE_PAGE_DEFAULT
    rows = ops.profile_page(call.tenant, d["page"], size, d["order"] == 1)
    return {"userList": [{"userId": uid, "userProfile": json_param(p.userProfile),
                          "userExtProfile": json_param(p.userExtProfile)} for uid, p in rows]}
