"""Accounts: v4/im_open_login_svc (account_import, multiaccount_import, account_delete,
account_check). Batches are limited by the tenant's ``limits`` (100 per call); over -> 70206."""

from __future__ import annotations

from .errors import TencentError
from .handlers_common import check_batch


def h_account_import(call) -> dict:
    """account_import: create or update one account (re-importing updates Nick/FaceUrl)."""
    app, data = call.tenant, call.data
    info = app.accounts.setdefault(data["UserID"], {"Nick": "", "FaceUrl": ""})
    for name in ("Nick", "FaceUrl"):
        if name in data:
            info[name] = data[name]
    return {}


def h_multiaccount_import(call) -> dict:
    """multiaccount_import: <= 100 accounts, either ``Accounts`` (ids) or ``AccountList``
    ({UserID, Nick, FaceUrl}; an existing account is updated with what is given, per the newest
    docs). FailAccounts lists the ones that could not be imported (none fail in the emulator
    once the request is valid)."""
    app, data = call.tenant, call.data
    if "AccountList" in data:
        items = data["AccountList"]
        name = "AccountList"
    elif "Accounts" in data:
        items = [{"UserID": a} for a in data["Accounts"]]
        name = "Accounts"
    else:
        raise TencentError(70402, "Accounts or AccountList is required")
    if not items:
        raise TencentError(70402, f"{name} is empty")
    check_batch(app, "multiaccount_import", len(items), code=70206)
    for item in items:
        info = app.accounts.setdefault(item["UserID"], {"Nick": "", "FaceUrl": ""})
        for field in ("Nick", "FaceUrl"):
            if field in item:
                info[field] = item[field]
    return {"FailAccounts": []}


def h_account_delete(call) -> dict:
    """account_delete: per-item ResultCode (0 deleted, 70107 not imported). A deleted account
    leaves every group it was in; a group it owned has no owner afterwards. App admins are
    refused (70402) because the app needs them."""
    app, data = call.tenant, call.data
    items = [i["UserID"] for i in data["DeleteItem"]]
    if not items:
        raise TencentError(70402, "DeleteItem is empty")
    check_batch(app, "account_delete", len(items), code=70206)
    for user in items:
        if user in app.admins:
            raise TencentError(70402, f"{user} is an App admin and cannot be deleted")
    results = []
    for user in items:
        if user not in app.accounts:
            results.append({"ResultCode": 70107, "ResultInfo": "account not imported", "UserID": user})
            continue
        for gid in list(app.joined.get(user, {})):
            g = app.groups[gid]
            if g.Owner_Account == user:
                g.Owner_Account = ""
                g.touch(call.now)
            app.remove_member(g, user)
        del app.accounts[user]
        app.profiles.pop(user, None)      # users: its profile tags and kick watermark go too
        app.kicked.pop(user, None)
        app.presence.go_offline(user, int(call.now * 1000), "deleted")
        app.presence.forget_user(user)
        results.append({"ResultCode": 0, "ResultInfo": "", "UserID": user})
    return {"ResultItem": results}


def h_account_check(call) -> dict:
    """account_check: AccountStatus Imported / NotImported per UserID."""
    app, data = call.tenant, call.data
    items = [i["UserID"] for i in data["CheckItem"]]
    if not items:
        raise TencentError(70402, "CheckItem is empty")
    check_batch(app, "account_check", len(items), code=70206)
    return {"ResultItem": [{"UserID": u, "ResultCode": 0, "ResultInfo": "",
                            "AccountStatus": "Imported" if u in app.accounts else "NotImported"}
                           for u in items]}
