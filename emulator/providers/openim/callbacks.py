"""OpenIM webhooks (openim-users-messages-webhooks.md §4): ``POST <url>/<callbackCommand>`` with the
request's ``operationID`` header and a JSON body carrying ``callbackCommand``. Configured in the
shape of ``config/webhooks.yml``: one entry per hook with ``enable``, ``timeout`` (s, default 5),
``failedContinue``, ``attentionIds``, ``allowedTypes`` / ``deniedTypes``.

Rules fire hooks where the real server does, through two calls:
- ``before(key, body_fn, apply_reply)``: at the position of a before hook. The first time a rule
  reaches it, it raises ``Ask`` (before the rule has changed anything); ``wrap`` turns that into
  a ``Pending`` for the pipeline. When the reply is in, the rule runs again from the top (so every
  check is made again after the wait) and ``before`` returns the decided reply this time; the
  rule applies the overrides it allows.
- ``after(key, body)``: queued with the request, sent once it succeeded.
"""

from __future__ import annotations

import contextvars

import orjson
from marshmallow import Schema, fields, validate

from emulator.core.callbacks import emit as emit_after
from emulator.core.callbacks import (CallbackConfigSchema, CallbackSpec, Command, Outcome, Pending,
                                     build_hook)

from .errors import DATA_ERROR, OpenIMError

NETWORK_ERROR = 90004
DEFAULT_TIMEOUT_S = 5            # webhooks.yml: every hook timeout: 5

# config key -> (callbackCommand, kind)   (§4.6; command strings of pkg/callbackstruct/constant.go)
HOOKS = {
    "beforeUserRegister": ("callbackBeforeUserRegisterCommand", "before"),
    "afterUserRegister": ("callbackAfterUserRegisterCommand", "after"),
    "beforeUpdateUserInfo": ("callbackBeforeUpdateUserInfoCommand", "before"),
    "afterUpdateUserInfo": ("callbackAfterUpdateUserInfoCommand", "after"),
    "beforeUpdateUserInfoEx": ("callbackBeforeUpdateUserInfoExCommand", "before"),
    "afterUpdateUserInfoEx": ("callbackAfterUpdateUserInfoExCommand", "after"),
    "beforeCreateGroup": ("callbackBeforeCreateGroupCommand", "before"),
    "beforeMemberJoinGroup": ("callbackBeforeMembersJoinGroupCommand", "before"),
    "afterCreateGroup": ("callbackAfterCreateGroupCommand", "after"),
    "beforeInviteUserToGroup": ("callbackBeforeInviteJoinGroupCommand", "before"),
    "beforeApplyJoinGroup": ("callbackBeforeJoinGroupCommand", "before"),
    "afterJoinGroup": ("callbackAfterJoinGroupCommand", "after"),
    "afterQuitGroup": ("callbackAfterQuitGroupCommand", "after"),
    "afterKickGroupMember": ("callbackAfterKickGroupCommand", "after"),
    "afterDismissGroup": ("callbackAfterDisMissGroupCommand", "after"),
    "afterTransferGroupOwner": ("callbackAfterTransferGroupOwnerCommand", "after"),
    "beforeSetGroupInfo": ("callbackBeforeSetGroupInfoCommand", "before"),
    "afterSetGroupInfo": ("callbackAfterSetGroupInfoCommand", "after"),
    "beforeSetGroupInfoEx": ("callbackBeforeSetGroupInfoExCommand", "before"),
    "afterSetGroupInfoEx": ("callbackAfterSetGroupInfoExCommand", "after"),
    "beforeSetGroupMemberInfo": ("callbackBeforeSetGroupMemberInfoCommand", "before"),
    "afterSetGroupMemberInfo": ("callbackAfterSetGroupMemberInfoCommand", "after"),
    # message hooks (§4.6); the revoke hook's command string is the server's odd constant value
    "beforeSendSingleMsg": ("callbackBeforeSendSingleMsgCommand", "before"),
    "afterSendSingleMsg": ("callbackAfterSendSingleMsgCommand", "after"),
    "beforeSendGroupMsg": ("callbackBeforeSendGroupMsgCommand", "before"),
    "afterSendGroupMsg": ("callbackAfterSendGroupMsgCommand", "after"),
    "beforeMsgModify": ("callbackBeforeMsgModifyCommand", "before"),
    "afterRevokeMsg": ("callbackBeforeAfterMsgCommand", "after"),
    # read hooks (§4.6 table): mark_msgs_as_read / mark_conversation_as_read
    "afterSingleMsgRead": ("callbackAfterSingleMsgReadCommand", "after"),
    "afterGroupMsgRead": ("callbackAfterGroupMsgReadCommand", "after"),
}
# hooks whose body carries the request's operationID (§4.6); set-info ones send "" themselves
WITH_OPERATION_ID = {"beforeCreateGroup", "beforeInviteUserToGroup", "afterJoinGroup"}
MEMBER_OVERRIDES = ("nickname", "faceURL", "roleLevel", "muteEndTime", "ex")
COMMAND_KEY = {cmd: key for key, (cmd, _) in HOOKS.items()}


class HookSchema(Schema):
    """One webhooks.yml entry (§4.1)."""

    enable = fields.Boolean(load_default=False)
    timeout = fields.Integer(load_default=DEFAULT_TIMEOUT_S, validate=validate.Range(min=0, max=600))
    failedContinue = fields.Boolean(load_default=True)
    attentionIds = fields.List(fields.String(), load_default=list)
    allowedTypes = fields.List(fields.String(), load_default=list)
    deniedTypes = fields.List(fields.String(), load_default=list)


class OpenIMCallbackConfig(CallbackConfigSchema):
    # webhooks.yml's per-hook entries; when given, only hooks with enable: true fire (the file's
    # default is every hook off). Without it, ``commands`` ("all" or config keys) picks them.
    hooks = fields.Dict(keys=fields.String(validate=validate.OneOf(list(HOOKS))),
                        values=fields.Nested(HookSchema), load_default=None)
    # §4.4: both tags never read failedContinue (a failed before hook always aborts). True makes
    # the emulator honour it as the docs describe instead.
    honour_failed_continue = fields.Boolean(load_default=False)


def _enabled(data: dict, commands: dict) -> set:
    hooks = data.get("hooks")
    if hooks is not None:
        return {HOOKS[k][0] for k, h in hooks.items() if h["enable"]}
    wanted = data["commands"]
    if wanted == "all":
        return set(commands)
    from marshmallow import ValidationError
    if not isinstance(wanted, list) or any(k not in HOOKS for k in wanted):
        raise ValidationError({"commands": [f'"all" or a list of webhook keys: {", ".join(HOOKS)}']})
    return {HOOKS[k][0] for k in wanted}


SPEC = CallbackSpec("openim", [Command(cmd, kind, DEFAULT_TIMEOUT_S) for cmd, kind in HOOKS.values()],
                    OpenIMCallbackConfig, _enabled)


class Ask(Exception):
    """Raised at a before hook's position the first time a rule reaches it."""

    def __init__(self, key: str, hook) -> None:
        self.key, self.hook = key, hook


class Again(Exception):
    """A probe that took results cached by an earlier one (``probe_cache``) finished without
    asking anything: the rule runs once more in full, so every check is made after the waits."""


class _Context:
    __slots__ = ("call", "decided", "notes", "cache", "cache_used", "no_cache")

    def __init__(self, call) -> None:
        self.call = call
        self.decided: dict[str, list] = {}   # key -> replies, in the order the rule asked
        self.notes: list = []                # group notifications waiting for beforeSendGroupMsg
        self.cache: dict = {}                # probe_cache(): per-subject results of earlier probes
        self.cache_used = False
        self.no_cache = False


def probe_cache() -> dict | None:
    """For a rule that asks one hook per subject (batch_send_msg): a dict that keeps each
    subject's result from one probe to the next, so a probe does not redo the subjects decided
    before (linear, not quadratic, in the subjects). None when not probing (no hooks, or the
    final run, which makes every check again). Call ``cache_hit()`` on using an entry and
    ``final()`` before changing anything."""
    ctx = _current.get()
    return None if ctx is None or ctx.no_cache else ctx.cache


def cache_hit() -> None:
    _current.get().cache_used = True


def final() -> None:
    """Raises Again when this run took cached results: the change is made by a full run."""
    ctx = _current.get()
    if ctx is not None and ctx.cache_used:
        raise Again


_current: contextvars.ContextVar[_Context | None] = contextvars.ContextVar("openim_hooks", default=None)
_asked: contextvars.ContextVar[dict | None] = contextvars.ContextVar("openim_asked", default=None)


def _hook(call, key: str, body: dict):
    engine = call.provider.callbacks
    command, _ = HOOKS[key]
    cfg = engine.config("openim", call.tenant_id, command) if engine is not None else None
    if cfg is None:
        return None
    entry = (cfg.settings.get("hooks") or {}).get(key)
    timeout = entry["timeout"] if entry and entry["timeout"] > 0 else DEFAULT_TIMEOUT_S
    op_id = call.request.headers.get("operationID", "")
    if key in WITH_OPERATION_ID:
        body = {"operationID": op_id, **body}
    payload = orjson.dumps({"callbackCommand": command, **body}) + b"\n"   # Go's encoder adds it
    h = build_hook(engine, cfg, command, payload, content_type="application/json; charset=utf-8",
                   headers={"operationID": op_id}, timeout_s=timeout,
                   meta={"failed_continue": bool(entry and entry["failedContinue"])
                         and cfg.settings["honour_failed_continue"]})
    if h.url:
        h.url = h.url.rstrip("/") + "/" + command
    return h


def before(key: str, body_fn, slot: str | None = None) -> dict | None:
    """At a before hook's position: None when the hook is off (or answered nothing usable),
    else the reply to take overrides from; raises the refusal as the caller's error. ``slot``
    keeps the replies of one hook asked for several subjects apart (batch_send_msg asks per
    recipient: a recipient that fails its checks on a re-run must not shift the others')."""
    ctx = _current.get()
    if ctx is None:
        return None
    name = key if slot is None else f"{key}\x00{slot}"
    done = ctx.decided.get(name)
    asked = _asked.get()
    n = asked.get(name, 0)
    asked[name] = n + 1
    if done is not None and n < len(done):
        if isinstance(done[n], OpenIMError):    # a refusal surfaces where the hook was asked
            raise done[n]
        return done[n]
    h = _hook(ctx.call, key, body_fn())
    if h is None:
        return None
    raise Ask(name, h)


def active() -> bool:
    return _current.get() is not None


def after(key: str, body_fn) -> None:
    """Queue an after hook (sent after the reply; its outcome is ignored, §4.3)."""
    ctx = _current.get()
    if ctx is None:
        return
    engine = ctx.call.provider.callbacks
    if engine.config("openim", ctx.call.tenant_id, HOOKS[key][0]) is None:
        return
    emit_after(ctx.call, _hook(ctx.call, key, body_fn()))


def decide(outcome: Outcome, h) -> dict | None:
    """§4.4: only actionCode 0 with nextCode 1 stops the action (with the reply's errCode);
    a network failure or timeout aborts with 90004, a body that is not JSON with 90007 (the
    HTTP status is not checked). ``failedContinue`` counts only when honour_failed_continue."""
    status = outcome.status
    if status.startswith("not sent"):
        return None
    go_on = h.meta.get("failed_continue")
    if status in ("timed out", "dropped") or (status == "failed" and outcome.http_status is None):
        if go_on:
            return None
        outcome.refused("network error")
        raise OpenIMError(NETWORK_ERROR, detail=f"{outcome.error}, post url={h.url}")
    reply = outcome.reply
    if not isinstance(reply, dict):
        if go_on:
            return None
        outcome.refused("reply is not JSON")
        raise OpenIMError(DATA_ERROR, detail="invalid character, response format error")
    if reply.get("actionCode", 0) == 0 and reply.get("nextCode", 0) == 1:
        outcome.refused(f"nextCode 1, errCode {reply.get('errCode')}")
        code = reply.get("errCode") or 0
        msg = str(reply.get("errMsg") or "")
        raise OpenIMError(code if isinstance(code, int) and code > 0 else 500, msg,
                          detail=str(reply.get("errDlt") or msg))
    return reply


def wrap(call, fn):
    """Run rule ``fn()`` with hooks on; a before hook turns the call into a Pending chain."""
    engine = call.provider.callbacks
    marker = call.extra.get(NOTES) if call.extra else None
    if marker is not None:      # a durable log's replay of a notification's beforeSendGroupMsg
        return _replay_notes(call, marker)
    if engine is None or not engine.active("openim", call.tenant_id):
        return fn()
    ctx = _Context(call)

    def attempt(_unused=None):
        token = _current.set(ctx)
        asked = _asked.set({})
        seq = call.tenant.id_seq         # a probe must not use up generated ids
        call.extra.pop("after_hooks", None)
        ctx.notes = []
        ctx.cache_used = False
        try:
            result = fn()
        except Again:
            call.tenant.id_seq = seq
            ctx.no_cache = True
            return attempt()
        except OpenIMError as exc:
            if not ctx.notes:
                _send_anyway(call)
                raise
            result = exc     # patch.16's join quirk answers 1001 after the change: still sent (§0.4)
        except Ask as exc:
            call.tenant.id_seq = seq
            key, hook = exc.key, exc.hook

            def apply(outcome: Outcome):
                try:
                    reply = decide(outcome, hook)
                except OpenIMError as exc:
                    reply = exc
                ctx.decided.setdefault(key, []).append(reply)
                ctx.no_cache = False
                return attempt()
            return Pending(hook, apply)
        finally:
            _current.reset(token)
            _asked.reset(asked)
        if ctx.notes:       # asked after the reply, as the server sends its notifications
            if not call.provider.callbacks.settle_later(call, _ask_notes(call, ctx, None)):
                return _ask_notes(call, ctx, result)    # too many running: before the reply
            if isinstance(result, OpenIMError):
                _send_anyway(call)
                raise result
        return result
    return attempt()


# --- group notifications and beforeSendGroupMsg (§2.12, §4.6) ---------------------------------------
# The server sends a group notification after the REST reply, through the group send path: a
# refused or failed beforeSendGroupMsg drops that notification only, the call has succeeded. Here
# the rule applies the group change whole and keeps the notification aside (``defer_note``); once
# the reply is out, the engine asks the hook (core/callbacks.settle_later) and the notification is
# stored (taking its seq then) only if the hook lets it through. Each answer is logged with the
# request (``call.extra[NOTES]`` names the notifications, how many hook answers came before them
# and how many were settled already), so a durable log's replay settles each exactly once.
NOTES = "openim_notes"
note_store = None   # models_messages.store_note(t, cid, data, users): re-checks, then stores


def defer_note(cid: str, data: dict, users=(), push: bool = False) -> bool:
    """True when the notification waits for beforeSendGroupMsg (the caller stores nothing).
    ``push``: a notification without a stored copy, only its afterSendGroupMsg follows."""
    ctx = _current.get()
    if ctx is None:
        return False
    engine = ctx.call.provider.callbacks
    cfg = engine.config("openim", ctx.call.tenant_id, HOOKS["beforeSendGroupMsg"][0])
    if cfg is None or not type_allowed((cfg.settings.get("hooks") or {}).get("beforeSendGroupMsg"),
                                       data["contentType"]):
        return False
    ctx.notes.append([cid, data, list(users), push])
    return True


def group_msg_hooks(ct: int, keys=("beforeSendGroupMsg", "afterSendGroupMsg")) -> bool:
    """Whether one of the message hooks ``keys`` would see a message of type ``ct`` (a
    notification nothing stores is built only then)."""
    ctx = _current.get()
    if ctx is None:
        return False
    engine = ctx.call.provider.callbacks
    for key in keys:
        cfg = engine.config("openim", ctx.call.tenant_id, HOOKS[key][0])
        if cfg is not None and type_allowed((cfg.settings.get("hooks") or {}).get(key), ct):
            return True
    return False


def _ask_notes(call, ctx: _Context, result):
    marker = {"skip": sum(len(v) for v in ctx.decided.values()), "done": 0, "notes": ctx.notes}
    call.extra[NOTES] = marker
    return _note_chain(call, ctx, marker, result)


def _note_chain(call, ctx: _Context, marker: dict, result=None):
    """Each notification's beforeSendGroupMsg in turn; ``result`` at the end (the request's
    reply, or its error, when the pipeline runs the chain before the reply)."""
    i = marker["done"]
    if i == len(marker["notes"]):
        if isinstance(result, OpenIMError):
            _send_anyway(call)
            raise result
        return result
    cid, data, users, push = marker["notes"][i]
    h = _hook(call, "beforeSendGroupMsg", msg_body(data, call))

    def apply(outcome: Outcome):
        keep = True
        if h is not None:
            try:
                decide(outcome, h)
            except OpenIMError:
                keep = False            # dropped silently: the group call still succeeds
        if keep:
            token = _current.set(ctx)   # its afterSendGroupMsg goes with the request
            try:
                note_store(call.tenant, cid, data, users, push)
            finally:
                _current.reset(token)
        marker["done"] = i + 1
        return _note_chain(call, ctx, marker, result)
    if h is None:                       # configuration removed meanwhile: sent as without hooks
        return apply(Outcome("not sent: no url"))
    return Pending(h, apply)


def _send_anyway(call) -> None:
    """A rule that fails after its change (patch.16's join quirk, §0.4) has queued its
    notifications already: their afterSendGroupMsg go out although the request answers an error
    (the pipeline sends after hooks only with a success). Rules that fail before changing
    anything have emitted nothing."""
    hooks = call.extra.pop("after_hooks", None) if call.extra else None
    if hooks:
        call.provider.callbacks.enqueue(hooks)


def _replay_notes(call, marker: dict):
    """The request's change was applied by an earlier log entry; this entry settles the
    notification whose answer it carries (after the answers it skips)."""
    ctx = _Context(call)
    state = {**marker}
    chain = _note_chain(call, ctx, state)
    for _ in range(marker["skip"] + marker["done"]):
        chain = Pending(None, lambda _o, nxt=chain: nxt)
    return chain


def member_overrides(reply: dict | None) -> dict:
    """beforeMemberJoinGroup's ``memberCallbackList`` by userID (§4.6; unknown IDs ignored)."""
    out: dict = {}
    for item in (reply or {}).get("memberCallbackList") or ():
        if isinstance(item, dict) and isinstance(item.get("userID"), str):
            out[item["userID"]] = item
    return out


def apply_member(m, item: dict | None) -> None:
    """Set the fields a memberCallbackList entry gives (roleLevel is not validated, as upstream)."""
    if item:
        for k in MEMBER_OVERRIDES:
            v = item.get(k)
            if v is not None and type(v) is type(getattr(m, k)):   # a wrong type is ignored
                setattr(m, k, v)


USER_DEFAULTS = {"nickname": "", "faceURL": "", "ex": "", "appMangerLevel": 0, "globalRecvMsgOpt": 0}


def users_override(items: list) -> list:
    """beforeUserRegister's ``users``: inserted without re-validation upstream; the emulator
    keeps entries with a string userID and fills missing fields with their zero values."""
    out = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("userID"), str) and item["userID"]:
            u = dict(USER_DEFAULTS)
            u.update({k: v for k, v in item.items() if k in USER_DEFAULTS and type(v) is type(u[k])})
            u["userID"] = item["userID"]
            out.append(u)
    return out


# --- message hooks (§4.1 filters, §4.5 body, §4.6 catalogue) ----------------------------------------
NOTIFICATION_TYPES = range(1000, 5001)   # server notifications: content "" in bodies, no single before hook
TYPING = 113
TEXT = 101                              # the only contentType beforeMsgModify sees
SINGLE_CHAT, GROUP_CHAT = 1, 3
# reply fields beforeMsgModify may change that the emulator applies (routing fields are not, README)
MODIFIABLE = {"content": str, "clientMsgID": str, "serverMsgID": str, "senderPlatformID": int,
              "senderNickname": str, "senderFaceURL": str, "msgFrom": int, "status": int,
              "attachedInfo": str, "ex": str, "atUserIDList": list, "options": dict}


def _entry(key: str) -> dict | None:
    ctx = _current.get()
    engine = ctx.call.provider.callbacks
    cfg = engine.config("openim", ctx.call.tenant_id, HOOKS[key][0])
    return (cfg.settings.get("hooks") or {}).get(key) if cfg is not None else None


def _in(entries: list, ct: int) -> bool:
    """filter.go: "101" or an inclusive "100-200"; bad entries are skipped."""
    for e in entries:
        lo, sep, hi = e.partition("-")
        try:
            a, b = (int(lo), int(hi)) if sep else (int(lo), int(lo))
        except ValueError:
            continue
        if a <= ct <= b:
            return True
    return False


def type_allowed(entry: dict | None, ct: int) -> bool:
    if not entry:
        return True
    if entry["allowedTypes"] and not _in(entry["allowedTypes"], ct):
        return False
    return not (entry["deniedTypes"] and _in(entry["deniedTypes"], ct))


def msg_body(data: dict, call=None) -> dict:
    """§4.5: the common message body (seq 0: hooks run before storage) plus recvID or groupID."""
    call = call if call is not None else _current.get().call
    ct = data["contentType"]
    body = {"sendID": data["sendID"], "serverMsgID": data["serverMsgID"], "clientMsgID": data["clientMsgID"],
            "operationID": call.request.headers.get("operationID", ""),
            "senderPlatformID": data["senderPlatformID"], "senderNickname": data["senderNickname"],
            "sessionType": data["sessionType"], "msgFrom": data["msgFrom"], "contentType": ct,
            "status": data["status"], "sendTime": data["sendTime"], "createTime": data["createTime"],
            "content": "" if ct in NOTIFICATION_TYPES else data["content"], "seq": 0,
            "atUserList": data.get("atUserIDList"), "faceURL": data["senderFaceURL"], "ex": data["ex"]}
    if data["sessionType"] == GROUP_CHAT:
        body["groupID"] = data["groupID"]
    else:
        body["recvID"] = data["recvID"]
    return body


def asks_single(ct: int, sender_is_admin: bool) -> bool:
    """Whether a single-chat send of type ``ct`` goes to beforeSendSingleMsg (§2.3 step 1-2)."""
    return _current.get() is not None and not (sender_is_admin or ct in NOTIFICATION_TYPES or ct == TYPING) \
        and _entry("beforeSendSingleMsg") is not None and type_allowed(_entry("beforeSendSingleMsg"), ct)


def before_send(data: dict, sender_is_admin: bool, slot: str | None = None, send: bool = True,
                modify: bool = True) -> None:
    """beforeSendSingleMsg / beforeSendGroupMsg then beforeMsgModify (text only), on a REST send
    about to be stored; the modify reply changes ``data`` in place. No reply fields of the send
    hooks are applied (§4.6). ``send`` / ``modify`` pick one of the two steps (a single chat
    asks its send hook before the recipient's checks, the modify hook after them)."""
    if _current.get() is None:
        return
    ct, session = data["contentType"], data["sessionType"]
    if session == SINGLE_CHAT:
        if send and asks_single(ct, sender_is_admin):
            before("beforeSendSingleMsg", lambda: msg_body(data), slot)
    elif session == GROUP_CHAT:
        if send and type_allowed(_entry("beforeSendGroupMsg"), ct):
            before("beforeSendGroupMsg", lambda: msg_body(data), slot)
    else:
        return
    if modify and ct == TEXT and type_allowed(_entry("beforeMsgModify"), ct):
        body = msg_body(data)
        body.pop("recvID", None)
        body.pop("groupID", None)
        reply = before("beforeMsgModify", lambda: body, slot)
        for k, typ in MODIFIABLE.items():
            v = (reply or {}).get(k)
            if v is not None and isinstance(v, typ) and not isinstance(v, bool):
                data[k] = v


def after_send(data: dict) -> None:
    """afterSendSingleMsg / afterSendGroupMsg for every stored (or online-only) message of a
    single or group chat, with the type filters and ``attentionIds`` (sendID or recvID listed)."""
    if _current.get() is None:
        return
    ct, session = data["contentType"], data["sessionType"]
    key = {SINGLE_CHAT: "afterSendSingleMsg", GROUP_CHAT: "afterSendGroupMsg"}.get(session)
    if key is None or ct == TYPING:
        return
    entry = _entry(key)
    if not type_allowed(entry, ct):
        return
    if entry and entry["attentionIds"] and not {data["sendID"], data["recvID"]} & set(entry["attentionIds"]):
        return
    body = msg_body(data)
    after(key, lambda: body)
