"""Message commands (v4/openim one-to-one, v4/group_open_http_svc group): adapt a Call to the
rules in models_messages.py."""

from __future__ import annotations

from . import models_messages as mm


def h_sendmsg(call) -> dict:
    return mm.sendmsg(call.tenant, call.data, call.caller, call.now)


def h_batchsendmsg(call) -> dict:
    return mm.batchsendmsg(call.tenant, call.data, call.caller, call.now)


def h_importmsg(call) -> dict:
    return mm.importmsg(call.tenant, call.data, call.caller, call.now)


def h_admin_getroammsg(call) -> dict:
    return mm.admin_getroammsg(call.tenant, call.data)


def h_admin_msgwithdraw(call) -> dict:
    return mm.admin_msgwithdraw(call.tenant, call.data)


def h_admin_set_msg_read(call) -> dict:
    return mm.admin_set_msg_read(call.tenant, call.data, call.now)


def h_get_c2c_unread_msg_num(call) -> dict:
    return mm.get_c2c_unread_msg_num(call.tenant, call.data)


def h_send_group_msg(call) -> dict:
    return mm.send_group_msg(call.tenant, call.data, call.caller, call.now)


def h_send_group_system_notification(call) -> dict:
    return mm.send_group_system_notification(call.tenant, call.data, call.caller, call.now)


def h_import_group_msg(call) -> dict:
    return mm.import_group_msg(call.tenant, call.data, call.now)


def h_group_msg_get_simple(call) -> dict:
    return mm.group_msg_get_simple(call.tenant, call.data)


def h_group_msg_recall(call) -> dict:
    return mm.group_msg_recall(call.tenant, call.data)


def h_delete_group_msg_by_sender(call) -> dict:
    return mm.delete_group_msg_by_sender(call.tenant, call.data)
