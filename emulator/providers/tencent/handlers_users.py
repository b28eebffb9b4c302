"""Users: v4/im_open_login_svc/kick, v4/openim/query_online_status (and its old name
querystate), v4/profile/portrait_set, v4/profile/portrait_get. The rules are in models_users.py;
these adapt a Call to them and apply the presence side effects (core/presence.py)."""

from __future__ import annotations

from . import callbacks as cb
from . import models_users as users


def h_kick(call) -> dict:
    """kick: the account's UserSigs issued up to now stop working and it goes offline on every
    platform (§9.4, §14.3: Offline everywhere is the emulator's choice)."""
    app = call.tenant
    user = users.kick(app, call.data, call.now)
    now_ms = int(call.now * 1000)
    app.presence.go_offline(user, now_ms, "kicked")
    app.presence.revoke(user, "kicked", now_ms)
    return {}


def h_query_online_status(call) -> dict:
    return users.query_online_status(call.tenant, call.data, call.tenant.presence)


def h_portrait_set(call) -> dict:
    """Profile.CallbackPortraitSet after success, with the items that were set (§13.6)."""
    result = users.portrait_set(call.tenant, call.data)
    cb.emit(call, "Profile.CallbackPortraitSet", {
        "Operator_Account": call.caller, "From_Account": call.data["From_Account"],
        "ProfileItem": [{"Tag": i["Tag"], "Value": i["Value"]} for i in call.data["ProfileItem"]]})
    return result


def h_portrait_get(call) -> dict:
    return users.portrait_get(call.tenant, call.data)
