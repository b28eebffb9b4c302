"""Group attributes: modify / clear / set on group_open_http_svc, get on
group_open_attr_http_svc (reference tencent.md §3.1). Limits are tenant settings: at most 16
keys, 4 KB per value and 16 KB in all (client docs); key length is an emulator choice."""

from __future__ import annotations

from .errors import TencentError
from .models import App, Group


def _check_attrs(app: App, attrs: dict) -> None:
    lim = app.limits
    if len(attrs) > lim["group_attr_keys"]:
        raise TencentError(10004, f"at most {lim['group_attr_keys']} group attributes")
    total = 0
    for k, v in attrs.items():
        kb, vb = len(k.encode("utf-8")), len(v.encode("utf-8"))
        if not k or kb > lim["group_attr_key_bytes"]:
            raise TencentError(10004, f"group attribute key must be 1-{lim['group_attr_key_bytes']} bytes")
        if vb > lim["group_attr_value_bytes"]:
            raise TencentError(10004, f"group attribute value exceeds {lim['group_attr_value_bytes']} bytes")
        total += kb + vb
    if total > lim["group_attr_total_bytes"]:
        raise TencentError(10004, f"group attributes exceed {lim['group_attr_total_bytes']} bytes in all")


def _incoming(data: dict) -> dict:
    return {kv["key"]: kv["value"] for kv in data["GroupAttr"]}


def _group(call) -> Group:
    return call.tenant.group(call.data["GroupId"])


def h_modify_group_attr(call) -> dict:
    """modify_group_attr: add or overwrite the given keys, keep the others."""
    g = _group(call)
    merged = {**g.attrs, **_incoming(call.data)}
    _check_attrs(call.tenant, merged)
    g.attrs = merged
    return {}


def h_set_group_attr(call) -> dict:
    """set_group_attr: replace every attribute with the given ones."""
    g = _group(call)
    new = _incoming(call.data)
    _check_attrs(call.tenant, new)
    g.attrs = new
    return {}


def h_clear_group_attr(call) -> dict:
    """clear_group_attr: remove every attribute."""
    _group(call).attrs = {}
    return {}


def h_get_group_attr(call) -> dict:
    """get_group_attr (group_open_attr_http_svc): every attribute as {key, value}."""
    g = _group(call)
    return {"GroupAttrAry": [{"key": k, "value": v} for k, v in g.attrs.items()]}
