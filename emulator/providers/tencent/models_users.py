"""Tencent users beyond import: profiles (portrait_set / portrait_get) and the kick watermark.

Reference tencent-messages-users-callbacks.md §9.4, §9.6. Rules are functions of (app, request,
now) that validate everything, then change state, and raise TencentError with the profile
service's codes (40001-40610) or the account service's (70107). No aiohttp here.

Profile storage: ``Tag_Profile_IM_Nick`` and ``Tag_Profile_IM_Image`` are the account's Nick and
FaceUrl (account_import writes them, §9.2), so they live in ``app.accounts``; every other tag set
on an account lives in ``app.profiles[UserID][Tag]``. Custom tags (``Tag_Profile_Custom_<kw>``)
exist only when the scenario declares them in ``profile_custom`` (the console does on the real
service).
"""

from __future__ import annotations

import re

from .errors import TencentError

# --- standard profile fields (§9.6 table) -------------------------------------------------------
UINT32_MAX = 2 ** 32 - 1
STRING_BYTES = 500          # §9.6: string and bytes values <= 500 bytes (40601 above)
# Tag_Profile_IM_Location: 16 bytes (EN docs, web SDK) vs 500 bytes (CN 269/3558, 2024-10-10).
# The newest page wins (a request the cloud accepts must work); the tenant limit
# ``profile_location_bytes`` gives 16.
LOCATION_BYTES = 500
GENDERS = ("Gender_Type_Unknown", "Gender_Type_Female", "Gender_Type_Male")
ALLOW_TYPES = ("AllowType_Type_NeedConfirm", "AllowType_Type_AllowAny", "AllowType_Type_DenyAny")
ADMIN_FORBID_TYPES = ("AdminForbid_Type_None", "AdminForbid_Type_SendOut")

NICK, IMAGE = "Tag_Profile_IM_Nick", "Tag_Profile_IM_Image"
ACCOUNT_FIELD = {NICK: "Nick", IMAGE: "FaceUrl"}   # tags kept on the account record (§9.2)

# tag -> (kind, detail): "string" with a byte limit (None = the location limit), "uint32",
# "enum" with its values. Defaults are what an account that never set the tag reads back.
STANDARD_TAGS: dict[str, tuple[str, object]] = {
    NICK: ("string", STRING_BYTES),
    "Tag_Profile_IM_Gender": ("enum", GENDERS),
    "Tag_Profile_IM_BirthDay": ("uint32", None),
    "Tag_Profile_IM_Location": ("string", None),
    "Tag_Profile_IM_SelfSignature": ("string", STRING_BYTES),
    "Tag_Profile_IM_AllowType": ("enum", ALLOW_TYPES),
    "Tag_Profile_IM_Language": ("uint32", None),
    IMAGE: ("string", STRING_BYTES),
    "Tag_Profile_IM_MsgSettings": ("uint32", None),
    "Tag_Profile_IM_AdminForbidType": ("enum", ADMIN_FORBID_TYPES),
    "Tag_Profile_IM_Level": ("uint32", None),
    "Tag_Profile_IM_Role": ("uint32", None),
}
DEFAULTS = {"Tag_Profile_IM_Gender": "Gender_Type_Unknown",
            "Tag_Profile_IM_AllowType": "AllowType_Type_NeedConfirm",
            "Tag_Profile_IM_AdminForbidType": "AdminForbid_Type_None"}
# §9.6: custom keyword letters only, <= 8 bytes
CUSTOM_TAG = re.compile(r"Tag_Profile_Custom_[A-Za-z]{1,8}\Z")
PORTRAIT_GET_ACCOUNTS = 100  # §9.6 "<= 100 recommended"; tenant limit ``portrait_get``


def tag_kind(app, tag) -> tuple[str, object]:
    """The kind of a tag this app knows, or 40009 (tag does not exist)."""
    if isinstance(tag, str):
        spec = STANDARD_TAGS.get(tag)
        if spec is not None:
            return spec
        if tag in app.profile_custom:
            return ("string", STRING_BYTES)     # §9.6: custom fields are string/bytes only
    raise TencentError(40009, f"tag {tag} does not exist")


def check_value(app, tag: str, value) -> None:
    """40610 wrong JSON type, 40605 a value the standard field does not take, 40601 too long."""
    kind, detail = tag_kind(app, tag)
    if kind == "uint32":
        # UNKNOWN whether numeric strings are coerced; refused (40610) like any other type
        if not isinstance(value, int) or isinstance(value, bool):
            raise TencentError(40610, f"{tag} takes a number")
        if not 0 <= value <= UINT32_MAX:
            raise TencentError(40605, f"{tag} must be a uint32")
        return
    if not isinstance(value, str):
        raise TencentError(40610, f"{tag} takes a string")
    if kind == "enum":
        if value not in detail:
            raise TencentError(40605, f"{tag} must be one of {', '.join(detail)}")
        return
    limit = detail if detail is not None else app.limits.get("profile_location_bytes", LOCATION_BYTES)
    if len(value.encode("utf-8")) > limit:
        raise TencentError(40601, f"{tag} exceeds {limit} bytes")


def read_tag(app, user: str, tag: str):
    field = ACCOUNT_FIELD.get(tag)
    if field is not None:
        return app.accounts[user].get(field, "")
    value = app.profiles.get(user, {}).get(tag)
    if value is not None:
        return value
    kind, _ = tag_kind(app, tag)
    return 0 if kind == "uint32" else DEFAULTS.get(tag, "")


def write_tag(app, user: str, tag: str, value) -> None:
    field = ACCOUNT_FIELD.get(tag)
    if field is not None:
        app.accounts[user][field] = value
    else:
        app.profiles.setdefault(user, {})[tag] = value


def portrait_set(app, data: dict) -> dict:
    """portrait_set: From_Account (40002 missing, 40003 not imported), ProfileItem non-empty
    (40001); every item checked before anything is written; a tag given twice: the last wins."""
    user = data.get("From_Account")
    if not user:
        raise TencentError(40002, "From_Account is missing")
    items = data.get("ProfileItem")
    if not items:
        raise TencentError(40001, "ProfileItem is empty")
    if user not in app.accounts:
        raise TencentError(40003)
    for item in items:
        check_value(app, item["Tag"], item["Value"])
    for item in items:
        write_tag(app, user, item["Tag"], item["Value"])
    return {"ErrorDisplay": ""}


def portrait_get(app, data: dict) -> dict:
    """portrait_get: To_Account (40002 missing or empty; <= limits.portrait_get, 100), TagList
    (40001 empty, 40009 unknown tag). Accounts not imported get ResultCode 40003 and are listed
    in Fail_Account (present only when one failed)."""
    users = data.get("To_Account")
    if not users:
        raise TencentError(40002, "To_Account is missing")
    limit = app.limits.get("portrait_get", PORTRAIT_GET_ACCOUNTS)
    if limit and len(users) > limit:
        raise TencentError(40001, f"at most {limit} accounts per request, got {len(users)}")
    tags = data.get("TagList")
    if not tags:
        raise TencentError(40001, "TagList is empty")
    for tag in tags:
        tag_kind(app, tag)
    out, failed = [], []
    for user in users:
        if user not in app.accounts:
            failed.append(user)
            out.append({"To_Account": user, "ProfileItem": [], "ResultCode": 40003,
                        "ResultInfo": TencentError.table[40003][0]})
            continue
        out.append({"To_Account": user,
                    "ProfileItem": [{"Tag": t, "Value": read_tag(app, user, t)} for t in tags],
                    "ResultCode": 0, "ResultInfo": ""})
    reply = {"UserProfileItem": out}
    if failed:
        reply["Fail_Account"] = failed
    reply["ErrorDisplay"] = ""
    return reply


# --- JSON <-> state ----------------------------------------------------------------------------
def profiles_to_json(app) -> list[dict]:
    return [{"UserID": u, "ProfileItem": [{"Tag": t, "Value": v} for t, v in tags.items()]}
            for u, tags in app.profiles.items() if tags]


def profiles_from_spec(app, specs) -> None:
    """Seed/dump profiles; SeedError names the bad path (unknown account, tag or value)."""
    from emulator.core.errors import SeedError
    for i, spec in enumerate(specs or []):
        user = spec["UserID"]
        if user not in app.accounts:
            raise SeedError(f"profiles[{i}].UserID", f"account {user!r} not declared")
        for j, item in enumerate(spec.get("ProfileItem") or []):
            try:
                check_value(app, item["Tag"], item["Value"])
            except TencentError as exc:
                raise SeedError(f"profiles[{i}].ProfileItem[{j}]", exc.message) from None
            write_tag(app, user, item["Tag"], item["Value"])


def check_profiles(app) -> list[str]:
    problems = []
    for user, tags in app.profiles.items():
        if user not in app.accounts:
            problems.append(f"profile of {user!r}, which is not an account")
        for tag, value in tags.items():
            if tag in ACCOUNT_FIELD:
                problems.append(f"profile of {user!r}: {tag} stored outside the account")
                continue
            try:
                check_value(app, tag, value)
            except TencentError as exc:
                problems.append(f"profile of {user!r}: {exc.message}")
    for user in app.kicked:
        if user not in app.accounts:
            problems.append(f"kick watermark of {user!r}, which is not an account")
    return problems


# --- sessions: kick and online status (§9.4, §9.5, §14) -------------------------------------------
# Platform names of query_online_status's Detail ([doocs] QueryResultDetailItem: iPhone, Android,
# Web, PC, iPad, Mac); the control plane's spelling is matched case-insensitively (EN writes IPhone).
PLATFORMS = ("iPhone", "Android", "Web", "PC", "iPad", "Mac")
QUERY_ONLINE_ACCOUNTS = 500     # §9.5 To_Account <= 500 (90011 above); tenant limit query_online_status


def kick(app, data: dict, now: float) -> str:
    """kick: one account (``UserID``; the legacy ``Identifier`` is accepted, §9.2);
    not imported -> 70107. Every UserSig of the account with TLS.time at or before now (before
    now with ``kick_voids_same_second`` off) stops working: the watermark is kept per account.
    Returns the account; the caller takes it offline on every platform (§14.3)."""
    user = data.get("UserID")      # the legacy Identifier is renamed by legacy.py
    if not user:
        raise TencentError(70402, "UserID is missing")
    if user not in app.accounts:
        raise TencentError(70107)
    app.kicked[user] = int(now)
    return user


def kicked_sig(app, identifier: str, sig_time: int) -> bool:
    """Was a UserSig made at ``sig_time`` for ``identifier`` voided by a kick?"""
    at = app.kicked.get(identifier)
    if at is None:
        return False
    return sig_time <= at if app.kick_voids_same_second else sig_time < at


def query_online_status(app, data: dict, presence) -> dict:
    """query_online_status (old name querystate): To_Account non-empty (90001), strings (90003),
    <= limits.query_online_status (90011). Per account: ``Status`` and its EN spelling ``State``
    (both, §9.5 UNKNOWN which the server emits), Online when any platform is, else Offline;
    ``Detail`` per online platform with IsNeedDetail=1. Accounts not imported -> ErrorList 70107."""
    users = data.get("To_Account")
    if not isinstance(users, list) or not users:
        raise TencentError(90001)    # the real ErrorInfo (§9.5) for a missing/empty list too
    if any(not isinstance(u, str) for u in users):
        raise TencentError(90003)
    limit = app.limits.get("query_online_status", QUERY_ONLINE_ACCOUNTS)
    if limit and len(users) > limit:
        raise TencentError(90011, f"at most {limit} accounts per request, got {len(users)}")
    detail = data.get("IsNeedDetail") == 1
    results, errors = [], []
    for user in users:
        if user not in app.accounts:
            errors.append({"To_Account": user, "ErrorCode": 70107})
            continue
        rows = presence.platforms(user) if presence is not None else {}
        status = "Online" if rows else "Offline"
        item = {"To_Account": user, "Status": status, "State": status}
        if detail and rows:
            item["Detail"] = [{"Platform": p, "Status": "Online"} for p in rows]
        results.append(item)
    return {"QueryResult": results, "ErrorList": errors}
