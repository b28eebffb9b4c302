"""Handlers of the message APIs: validated form -> models_messages -> reply fields."""

from __future__ import annotations

from emulator.providers.base import Call

from . import models_messages as ops
from .handlers_users import now_ms


def private_publish(call: Call) -> dict:
    return {"messageUIDs": ops.publish_private(call.tenant, call.data, now_ms(call))}


def system_publish(call: Call) -> dict:
    return {"messageUIDs": ops.publish_private(call.tenant, call.data, now_ms(call), system=True)}


def group_publish(call: Call) -> dict:
    return {"messageUIDs": ops.publish_group(call.tenant, call.data, now_ms(call))}


def recall(call: Call) -> dict:
    ops.recall(call.tenant, call.data, now_ms(call))
    return {}


def history(call: Call) -> dict:
    """The hour's log is served by the emulator itself (/_emulator/rongcloud/history/...), at the
    address the client called (its Host header), so a backend can download it."""
    req = call.request
    base = f"{req.scheme}://{req.host}"
    return ops.history(call.tenant, call.data["date"], call.now, base)
