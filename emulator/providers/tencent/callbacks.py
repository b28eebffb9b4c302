"""Tencent Cloud Chat third-party callbacks (tencent-messages-users-callbacks.md §13).

POST <url>?SdkAppid=&CallbackCommand=&contenttype=json&ClientIP=&OptPlatform=RESTAPI
[&RequestTime=<s>&Sign=<hex sha256(token + RequestTime)>] (§13.2, §13.3); JSON body with
CallbackCommand and EventTime (ms). Every callback times out after 2 s (§13.4); before-callbacks are
never retried, after-callbacks not by default (``retries`` turns retry-on-timeout on).
"""

from __future__ import annotations

import hashlib

import orjson
from marshmallow import fields, validate

from emulator.core.callbacks import (CallbackConfigSchema, CallbackSpec, Command, Hook, Outcome,
                                     ask, build_hook)
from emulator.core.callbacks import emit as core_emit

from .errors import TencentError

TIMEOUT_S = 2.0          # §13.4: 2 s for every callback
GROUP_REFUSED, C2C_REFUSED, FAILED_POLICY = 10016, 20006, 80003
GROUP_CUSTOM = (10100, 10200)     # §13.4: a refusal code in this range reaches the caller as is
C2C_CUSTOM = (120001, 130000)

# Commands the emulated REST APIs fire (§13.8). Group.CallbackBeforeApplyJoinGroup is accepted in a
# configuration but never fires: there is no REST apply API (client-only, §13.5).
BEFORE = ["Group.CallbackBeforeCreateGroup", "Group.CallbackBeforeApplyJoinGroup",
          "Group.CallbackBeforeInviteJoinGroup", "Group.CallbackBeforeSendMsg", "C2C.CallbackBeforeSendMsg"]
AFTER = ["Group.CallbackAfterCreateGroup", "Group.CallbackAfterNewMemberJoin", "Group.CallbackAfterMemberExit",
         "Group.CallbackAfterGroupInfoChanged", "Group.CallbackAfterGroupDestroyed",
         "Group.CallbackAfterGroupFull", "Profile.CallbackPortraitSet", "State.StateChange",
         "Group.CallbackAfterSendMsg", "Group.CallbackAfterRecallMsg", "C2C.CallbackAfterSendMsg",
         "C2C.CallbackAfterMsgWithDraw"]


class TencentCallbackConfig(CallbackConfigSchema):
    token = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=128))
    # §13.4: the console's per-callback timeout policy; "refuse" answers 80003 on failure/timeout
    before_failure = fields.String(load_default="pass", validate=validate.OneOf(["pass", "refuse"]))
    client_ip = fields.String(load_default="")      # §13.2: ClientIP of a REST action is UNKNOWN
    # §13.6: the Action/Reason State.StateChange sends when a user goes offline (kick, or a test
    # setting presence): UNKNOWN for REST kick; Logout/Unregister is the plausible choice
    offline_action = fields.String(load_default="Logout/Unregister", validate=validate.OneOf(
        ["Logout/Unregister", "Disconnect/LinkClose", "Disconnect/TimeOut"]))


STATE_PLATFORMS = {"iPhone": "IOS", "iOS": "IOS", "PC": "Windows"}


def on_presence(engine, backend, change) -> None:
    """State.StateChange (§13.6) from a presence transition: a test setting presence, or kick."""
    cfg = engine.config("tencent", change.tenant_id, "State.StateChange")
    if cfg is None:
        return
    if change.online:
        action, reason = "Login", "Register"
    else:
        action, reason = cfg.settings["offline_action"].split("/")
    body = {"CallbackCommand": "State.StateChange", "EventTime": change.at_ms,
            "Info": {"Action": action, "To_Account": change.user, "Reason": reason}}
    # presence uses query_online_status's platform names; OptPlatform the callback's (§13.2),
    # where State.StateChange writes IOS in capitals (every other callback iOS)
    platform = STATE_PLATFORMS.get(change.platform, change.platform)
    engine.enqueue([_build(engine, cfg, "State.StateChange", body, platform)])


SPEC = CallbackSpec("tencent", [Command(c, "before", TIMEOUT_S) for c in BEFORE]
                    + [Command(c, "after", TIMEOUT_S) for c in AFTER], TencentCallbackConfig,
                    on_presence=on_presence)


def sign(token: str, request_time: str) -> str:
    """§13.3: lower-case hex SHA-256 of token + RequestTime."""
    return hashlib.sha256((token + request_time).encode()).hexdigest()


def enabled(call, command: str) -> bool:
    engine = call.provider.callbacks
    return engine is not None and engine.config("tencent", call.tenant_id, command) is not None


def hook(call, command: str, body: dict) -> Hook | None:
    """The hook for ``command`` when the call's app has it enabled, else None."""
    engine = call.provider.callbacks
    cfg = engine.config("tencent", call.tenant_id, command) if engine is not None else None
    if cfg is None:
        return None
    payload = {"CallbackCommand": command, **body, "EventTime": int(call.now * 1000)}
    return _build(engine, cfg, command, payload, "RESTAPI")


def _build(engine, cfg, command: str, payload: dict, platform: str) -> Hook:
    query = {"SdkAppid": cfg.tenant, "CallbackCommand": command, "contenttype": "json",
             "ClientIP": cfg.settings["client_ip"], "OptPlatform": platform}
    token = cfg.settings["token"]
    signer = None
    if token:
        def signer(now: float, token=token) -> dict:
            t = str(int(now))
            return {"RequestTime": t, "Sign": sign(token, t)}
    # §13.4: after-callbacks are retried only on a timeout, and only when the console says so
    # (``retries``; count and interval UNKNOWN)
    return build_hook(engine, cfg, command, orjson.dumps(payload), query=query, signer=signer,
                      meta={"before_failure": cfg.settings["before_failure"]}, retry_on=("timed out",))


def emit(call, command: str, body: dict) -> None:
    """Queue an after-callback with the request (sent once it succeeded)."""
    core_emit(call, hook(call, command, body))


__all__ = ["SPEC", "ask", "decide", "emit", "enabled", "hook", "sign"]


def decide(outcome: Outcome | None, h: Hook | None, c2c: bool = False) -> dict | None:
    """Read a before-callback's outcome (§13.4): None or the reply when the action goes ahead;
    raises the caller's error when the app refused. ErrorCode 2 (silent drop, messages only)
    comes back as the reply for the caller to act on."""
    if outcome is None or h is None:
        return None
    if not outcome.answered or not isinstance(outcome.reply, dict):
        if outcome.status.startswith("not sent"):
            return None
        if h.meta.get("before_failure") == "refuse":   # the console's "do not deliver" policy
            outcome.refused("failure policy: refuse")
            raise TencentError(FAILED_POLICY)
        return None                                      # default: the action goes ahead
    reply = outcome.reply
    code = reply.get("ErrorCode", 0)
    if code == 0 or (code == 2 and h.command.endswith("SendMsg")):
        return reply
    outcome.refused(f"ErrorCode {code}")
    low, high = C2C_CUSTOM if c2c else GROUP_CUSTOM
    if isinstance(code, int) and low <= code <= high:
        raise TencentError(code, str(reply.get("ErrorInfo", "")))
    raise TencentError(C2C_REFUSED if c2c else GROUP_REFUSED)
