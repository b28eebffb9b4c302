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

import urllib.parse

from emulator.core.callbacks import CallbackConfigSchema, CallbackSpec, Command, Outcome, Pending, build_hook
from emulator.core.callbacks import emit as emit_after

SYNC_TIMEOUT_S, SYNC_RETRIES = 5.0, 2       # §3.1: group info / operation sync
GROUP_OPERATION, GROUP_INFO = "groupOperationSync", "groupInfoSync"
ONLINE_STATUS = "userOnlineStatus"          # §3.4 user online status subscription
MESSAGE_ROUTE = "messageRoute"              # §3.2 post-messaging (full message routing)
PRE_MESSAGING = "preMessaging"              # §3.3 message callback service
PRE_TIMEOUT_S = 3.0                         # §3.1 (RC v4 msgcb): 3 s, one attempt, delivered on failure
SERVER_SOURCE = "Server"                    # §3.2 `source` / §3.3 `os` of a Server API message (UNVERIFIED)
ONLINE, OFFLINE, LOGGED_OUT = "0", "1", "2"  # §3.4: the inverse of checkOnline's coding
# §3.7 eventType
CREATED, JOINED, KICKED, QUIT, DISMISSED, MANAGER_ADDED, MANAGER_REMOVED, OWNER_TRANSFERRED = range(1, 9)


class RongCloudCallbackConfig(CallbackConfigSchema):
    urls = fields.Dict(keys=fields.String(validate=validate.OneOf([GROUP_OPERATION, GROUP_INFO, ONLINE_STATUS,
                                                                   MESSAGE_ROUTE, PRE_MESSAGING])),
                       values=fields.String(validate=validate.Regexp(r"^https?://")), load_default=dict)
    secret = fields.String(load_default=None, allow_none=True)
    # §3.6/§3.7: the documented example is a top-level array; "profiles" wraps it as {"profiles": [...]}
    group_sync_envelope = fields.String(load_default="array", validate=validate.OneOf(["array", "profiles"]))
    # §3.2/§4: console switch "route Server-API messages" (default off: nothing is routed)
    route_server_api_messages = fields.Boolean(load_default=False)
    # §3.3/§4: console switch "filter Server-API messages" (default off: none is screened)
    pre_messaging_server_api = fields.Boolean(load_default=False)
    # §3.3: the console's routing rules, as the objectNames they match (empty: every message)
    pre_messaging_object_names = fields.List(fields.String(), load_default=list)
    # §3.3: what a Server API sender sees when a message is rejected is UNKNOWN; None answers 200
    # (the check runs after the API accepted it), a code answers that error and stores nothing
    pre_messaging_reject_code = fields.Integer(load_default=None, allow_none=True)


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
                                  Command(ONLINE_STATUS, "after", SYNC_TIMEOUT_S, SYNC_RETRIES),
                                  # routing's timeout and retries: UNKNOWN (§3.1); the sync rules
                                  Command(MESSAGE_ROUTE, "after", SYNC_TIMEOUT_S, SYNC_RETRIES),
                                  Command(PRE_MESSAGING, "before", PRE_TIMEOUT_S, 0)],
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


# --- messages (§3.2, §3.3, §4) ------------------------------------------------------------------------
def _form_hook(engine, cfg, tenant, command: str, form: list, app_key_in_query: bool = True):
    """A form-urlencoded callback (routing and pre-messaging); the pre-messaging URL carries no
    appKey, the form does (§3.1)."""
    secret = cfg.settings["secret"] or tenant.app_secret
    app_key = cfg.tenant

    def signer(now: float) -> dict:
        nonce, ts = str(next(_nonces)), str(int(now * 1000))
        q = {"appKey": app_key} if app_key_in_query else {}
        return {**q, "nonce": nonce, "timestamp": ts, "signTimestamp": ts,
                "signature": signature(secret, nonce, ts)}
    h = build_hook(engine, cfg, command, urllib.parse.urlencode(form).encode(),
                   content_type="application/x-www-form-urlencoded", signer=signer)
    h.url = cfg.settings["urls"].get(command) or cfg.url
    return h


def screening(call, d: dict) -> bool:
    """Whether this Server API message goes to the pre-messaging callback (§4: switch and rule)."""
    engine = call.provider.callbacks
    cfg = engine.config("rongcloud", call.tenant_id, PRE_MESSAGING) if engine is not None else None
    if cfg is None or not cfg.settings["pre_messaging_server_api"]:
        return False
    names = cfg.settings["pre_messaging_object_names"]
    return not names or d["objectName"] in names


def _pre_form(call, d: dict, channel: str, target: str, uid: str, now_ms: int) -> list:
    form = [("appKey", call.provider.callbacks.config("rongcloud", call.tenant_id, PRE_MESSAGING).tenant),
            ("fromUserId", d["fromUserId"]), ("targetId", target), ("msgType", d["objectName"]),
            ("content", d["content"]), ("channelType", channel), ("msgTimeStamp", str(now_ms)),
            ("messageId", uid), ("os", SERVER_SOURCE)]
    if channel == "GROUP" and d.get("toUserId"):
        form.append(("toUserIds", ",".join(d["toUserId"])))
    for k in ("pushContent", "pushExt", "extraContent"):
        if d.get(k) is not None:
            form.append((k, d[k] if isinstance(d[k], str) else orjson.dumps(d[k]).decode()))
    if "disablePush" in d:
        form.append(("disablePush", str(bool(d["disablePush"])).lower()))
    return form


def _verdict(outcome: Outcome) -> dict | None:
    """§3.3: HTTP 200 + JSON; pass 0 rejects (``extra`` for the sender). A timeout, a failure or a
    reply that is not JSON delivers the message unchanged (RC v4, §3.1)."""
    reply = outcome.reply if outcome.answered else None
    if not isinstance(reply, dict):
        return None
    if reply.get("pass") == 0:
        outcome.refused(f"pass 0: {reply.get('extra', '')}")
    return reply


def pre_messaging(call, d: dict, targets: list[tuple[str, str, str]], now_ms: int, run):
    """Ask the pre-messaging callback once per message (``targets``: channelType, targetId,
    the messageUID it will get), one after the other, then ``run(verdicts)`` with
    {targetId: reply or None}; the publish re-checks everything after the wait."""
    engine = call.provider.callbacks
    cfg = engine.config("rongcloud", call.tenant_id, PRE_MESSAGING)
    verdicts: dict = {}

    def step(i: int):
        if i == len(targets):
            return run(verdicts)
        channel, target, uid = targets[i]
        h = _form_hook(engine, cfg, call.tenant, PRE_MESSAGING, _pre_form(call, d, channel, target, uid, now_ms),
                       app_key_in_query=False)

        def apply(outcome: Outcome):
            verdicts[target] = _verdict(outcome)
            return step(i + 1)
        return Pending(h, apply)
    return step(0)


def route(call, sent: list[dict]) -> None:
    """§3.2: one form POST per stored message, only with the Server-API routing switch on."""
    engine = call.provider.callbacks
    cfg = engine.config("rongcloud", call.tenant_id, MESSAGE_ROUTE) if engine is not None else None
    if cfg is None or not cfg.settings["route_server_api_messages"]:
        return
    for m in sent:
        form = [("fromUserId", m["fromUserId"]), ("toUserId", m["toUserId"]), ("objectName", m["objectName"]),
                ("content", m["content"]), ("channelType", m["channelType"]), ("msgTimestamp", str(m["time"])),
                ("msgUID", m["msgUID"]), ("sensitiveType", "0"), ("source", SERVER_SOURCE), ("busChannel", "")]
        form += [("groupUserIds", u) for u in m.get("groupUserIds") or ()]
        emit_after(call, _form_hook(engine, cfg, call.tenant, MESSAGE_ROUTE, form))


def reject_code(call) -> int | None:
    engine = call.provider.callbacks
    cfg = engine.config("rongcloud", call.tenant_id, PRE_MESSAGING) if engine is not None else None
    return cfg.settings["pre_messaging_reject_code"] if cfg is not None else None
