"""RongCloud callbacks (rongcloud-users-messages-callbacks.md §3, §4): the profile-hosting group
sync callbacks, fired by the entrust group Server APIs (import fires none, §4).

Each callback has its own URL in the console: ``urls: {groupOperationSync: ..., groupInfoSync: ...}``,
falling back to ``url``. Signed in the query (§3.1): ``appKey``, ``nonce``, ``timestamp`` and the older
``signTimestamp`` (same value, ms), ``signature = hex(sha1(secret + nonce + timestamp))``; the secret
is the App Secret unless the config names another. Success is HTTP 200 (body ignored); 5 s timeout,
2 retries, then dropped (§3.1).
"""

from __future__ import annotations

import hashlib
import itertools

import orjson
from marshmallow import fields, validate

from emulator.core.callbacks import CallbackConfigSchema, CallbackSpec, Command, build_hook
from emulator.core.callbacks import emit as emit_after

SYNC_TIMEOUT_S, SYNC_RETRIES = 5.0, 2       # §3.1: group info / operation sync
GROUP_OPERATION, GROUP_INFO = "groupOperationSync", "groupInfoSync"
ONLINE_STATUS = "userOnlineStatus"          # §3.4 user online status subscription
ONLINE, OFFLINE, LOGGED_OUT = "0", "1", "2"  # §3.4: the inverse of checkOnline's coding
# §3.7 eventType
CREATED, JOINED, KICKED, QUIT, DISMISSED, MANAGER_ADDED, MANAGER_REMOVED, OWNER_TRANSFERRED = range(1, 9)


class RongCloudCallbackConfig(CallbackConfigSchema):
    urls = fields.Dict(keys=fields.String(validate=validate.OneOf([GROUP_OPERATION, GROUP_INFO, ONLINE_STATUS])),
                       values=fields.String(validate=validate.Regexp(r"^https?://")), load_default=dict)
    secret = fields.String(load_default=None, allow_none=True)
    # §3.6/§3.7: the documented example is a top-level array; "profiles" wraps it as {"profiles": [...]}
    group_sync_envelope = fields.String(load_default="array", validate=validate.OneOf(["array", "profiles"]))


def on_presence(engine, backend, change) -> None:
    """§3.4: a client connecting or going away; presence is set by tests (POST /_emulator/presence)
    or changed by the Server API (block, deactivate take users offline)."""
    cfg = engine.config("rongcloud", change.tenant_id, ONLINE_STATUS)
    t = backend.tenants.get(change.tenant_id) if cfg is not None else None
    if t is None:
        return
    status = ONLINE if change.online else (LOGGED_OUT if change.reason == "logout" else OFFLINE)
    item = {"userid": change.user, "status": status, "os": change.platform, "time": change.at_ms,
            "clientIp": "127.0.0.1:0", "sessionId": f"{change.user}-{change.platform}"}
    engine.enqueue([_hook(engine, cfg, t, ONLINE_STATUS, [item], wrap=False)])


SPEC = CallbackSpec("rongcloud", [Command(GROUP_OPERATION, "after", SYNC_TIMEOUT_S, SYNC_RETRIES),
                                  Command(GROUP_INFO, "after", SYNC_TIMEOUT_S, SYNC_RETRIES),
                                  # timeout and retries of the online-status callback: UNKNOWN; the sync rules
                                  Command(ONLINE_STATUS, "after", SYNC_TIMEOUT_S, SYNC_RETRIES)],
                    RongCloudCallbackConfig, on_presence=on_presence)

_nonces = itertools.count(1)   # a nonce is not state: any fresh digits do (<= 18 characters)


def signature(secret: str, nonce: str, timestamp: str) -> str:
    """§3.1: the same formula as API calls."""
    return hashlib.sha1((secret + nonce + timestamp).encode()).hexdigest()


def emit(call, command: str, items: list[dict]) -> None:
    """Queue one sync callback carrying ``items`` when the app has it enabled."""
    engine = call.provider.callbacks
    cfg = engine.config("rongcloud", call.tenant_id, command) if engine is not None else None
    if cfg is None or not items:
        return
    emit_after(call, _hook(engine, cfg, call.tenant, command, items))


def _hook(engine, cfg, tenant, command: str, items: list, wrap: bool = True):
    secret = cfg.settings["secret"] or tenant.app_secret
    app_key = cfg.tenant
    body = {"profiles": items} if wrap and cfg.settings["group_sync_envelope"] == "profiles" else items

    def signer(now: float) -> dict:
        nonce, ts = str(next(_nonces)), str(int(now * 1000))
        return {"appKey": app_key, "nonce": nonce, "timestamp": ts, "signTimestamp": ts,
                "signature": signature(secret, nonce, ts)}
    h = build_hook(engine, cfg, command, orjson.dumps(body), signer=signer)
    h.url = cfg.settings["urls"].get(command) or cfg.url
    return h


def group_operation(call, gid: str, event: int, user_ids: list[str] | None = None) -> None:
    """§3.7 item; optUserId is left out: Server API operations have no operator."""
    item = {"groupId": gid, "eventType": event, "time": int(call.now * 1000)}
    if user_ids is not None:
        item["userIds"] = list(user_ids)
    emit(call, GROUP_OPERATION, [item])


def group_info(call, g, profile: dict, ext: dict, permissions: dict) -> None:
    """§3.6 item with the group's whole profile after the change (whether only the changed keys
    are sent is UNKNOWN)."""
    emit(call, GROUP_INFO, [{"groupId": g.groupId, "groupName": g.name, "time": int(call.now * 1000),
                             "groupProfile": profile, "groupExtProfile": ext, "permissions": permissions}])
