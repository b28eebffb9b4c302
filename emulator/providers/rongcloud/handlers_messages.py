"""Handlers of the message APIs: validated form -> models_messages -> reply fields."""

from __future__ import annotations

from emulator.providers.base import Call

from . import callbacks as cb
from . import models_messages as ops
from .errors import RongCloudError
from .handlers_users import now_ms


def _publish(call: Call, targets, run):
    """Pre-messaging (3.3) for the messages about to be sent when the app screens Server API
    messages, then the publish (which re-checks everything), then routing (3.2) of what was kept."""
    t, d, now = call.tenant, call.data, now_ms(call)

    def send(verdicts: dict) -> dict:
        rejected = [v for v in verdicts.values() if v is not None and v.get("pass") == 0]
        code = rejected and cb.reject_code(call)
        if code:
            raise RongCloudError(code, str(rejected[0].get("extra") or "message rejected"))
        sent: list = []
        result = {"messageUIDs": run(verdicts, sent)}
        cb.route(call, sent)
        return result
    if not cb.screening(call, d):
        return send({})
    return cb.pre_messaging(call, d, [(channel, target, ops.uid_at(t, t.msg_seq + i + 1))
                                      for i, (channel, target) in enumerate(targets(t, d, now))], now, send)


def private_publish(call: Call) -> dict:
    return _publish(call, lambda t, d, now: [("PERSON", to) for to in ops.private_recipients(t, d, now)],
                    lambda v, sent: ops.publish_private(call.tenant, call.data, now_ms(call), verdicts=v, sent=sent))


def system_publish(call: Call) -> dict:
    return _publish(call, lambda t, d, now: [("NOTIFY", to) for to in ops.private_recipients(t, d, now, True)],
                    lambda v, sent: ops.publish_private(call.tenant, call.data, now_ms(call), system=True,
                                                        verdicts=v, sent=sent))


def _group_targets(t, d, now):
    ops.check_group(t, d, now)
    return [("GROUP", gid) for gid in d["toGroupId"]]


def group_publish(call: Call) -> dict:
    return _publish(call, _group_targets,
                    lambda v, sent: ops.publish_group(call.tenant, call.data, now_ms(call), verdicts=v, sent=sent))


def recall(call: Call) -> dict:
    sent: list = []
    ops.recall(call.tenant, call.data, now_ms(call), sent=sent)
    cb.route(call, sent)        # the RC:RcCmd message, under the same switch (4, UNVERIFIED)
    return {}


def history(call: Call) -> dict:
    """The hour's log is served by the emulator itself (/_emulator/rongcloud/history/...), at the
    address the client called (its Host header), so a backend can download it."""
    req = call.request
    base = f"{req.scheme}://{req.host}"
    return ops.history(call.tenant, call.data["date"], call.now, base)


def history_delete(call: Call) -> dict:
    """The hour's log file goes; the messages stay in the store (models_messages.delete_history)."""
    return ops.delete_history(call.tenant, call.data["date"], call.now)
