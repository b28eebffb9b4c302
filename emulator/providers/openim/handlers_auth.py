"""/auth/* handlers (reference openim.md section 2.1; [srv-p16] internal/rpc/auth/auth.go)."""

from __future__ import annotations

from emulator.providers.base import Call

from . import auth
from .errors import args, check, no_permission, not_found, wrap_msg
from .models import APP_NOTIFICATION_ADMIN   # such accounts get no token
from .models_user_routes import PLATFORM_NAMES
from .models_users import check_admin

PLATFORM_IDS = range(1, 11)     # force_logout Check: 1..10


def get_admin_token(call: Call):
    req, t = call.data, call.tenant
    if req["userID"] == "":
        raise check("userID is empty")
    if t is None or req["secret"] != t.secret:
        raise no_permission("secret invalid")
    uid = req["userID"]
    if not t.is_admin(uid):
        raise args(wrap_msg("userID is error.", "userID", uid, "adminUserID", t.admins))
    if uid not in t.users:
        raise not_found("user not found")
    token, expire = auth.issue(t, uid, auth.ADMIN_PLATFORM_ID, call.now)
    return {"token": token, "expireTimeSeconds": expire}


def get_user_token(call: Call):
    req, t, op = call.data, call.tenant, call.caller
    check_admin(t, op)
    if req["platformID"] == auth.ADMIN_PLATFORM_ID:
        raise no_permission("platformID invalid. platformID must not be adminPlatformID")
    uid = req["userID"]
    if t.is_admin(uid):
        raise no_permission("don't get Admin token")
    user = t.users.get(uid)
    if user is None:
        raise not_found("record not found")
    if user.appMangerLevel >= APP_NOTIFICATION_ADMIN:
        raise args("app account can`t get token")
    token, expire = auth.issue(t, uid, req["platformID"], call.now)
    return {"token": token, "expireTimeSeconds": expire}


def parse_token(call: Call):
    token = call.data["token"]
    if token == "":
        raise check("userID is empty")
    _, claims = auth.verify(token, call.provider.backend.tenants, call.now)
    return {"userID": claims.get("UserID", ""), "platformID": claims.get("PlatformID", 0),
            "expireTimeSeconds": int(claims.get("exp", 0))}


def force_logout(call: Call):
    req, t = call.data, call.tenant
    if req["userID"] == "":
        raise check("userID is empty")
    if req["platformID"] not in PLATFORM_IDS:
        raise check("platformID is invalidate")
    check_admin(t, call.caller)
    auth.force_logout(t, req["userID"], req["platformID"])
    # the gateway drops the connection: the user is offline on that platform (core presence)
    name = PLATFORM_NAMES.get(req["platformID"])
    t.presence.go_offline(req["userID"], int(call.now * 1000), "force_logout", platforms=[name])
    return None
