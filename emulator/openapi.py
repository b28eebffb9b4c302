"""An OpenAPI 3.1 document of every emulated endpoint and the control plane, built from the
routes' marshmallow schemas with apispec's MarshmallowPlugin. Served at /_emulator/openapi.json.

Each provider's envelope (credentials, body encoding, success and error shapes) is described
once here, so every operation of that provider shares it.
"""

from __future__ import annotations

import warnings

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from emulator import __version__

# Credentials and envelopes, as the providers define them (reference sections cited there).
ENVELOPES = {
    "tencent": {
        "content_type": "application/json",
        "parameters": [
            {"in": "query", "name": "sdkappid", "required": True, "schema": {"type": "string"}},
            {"in": "query", "name": "identifier", "required": True, "schema": {"type": "string"}},
            {"in": "query", "name": "usersig", "required": True, "schema": {"type": "string"}},
            {"in": "query", "name": "random", "required": False, "schema": {"type": "string"}},
            {"in": "query", "name": "contenttype", "required": False, "schema": {"type": "string", "enum": ["json"]}},
        ],
        "responses": {"200": ("Always HTTP 200; ActionStatus OK or FAIL with ErrorCode/ErrorInfo", {
            "type": "object", "required": ["ActionStatus", "ErrorCode", "ErrorInfo"],
            "properties": {"ActionStatus": {"type": "string", "enum": ["OK", "FAIL"]},
                           "ErrorCode": {"type": "integer"}, "ErrorInfo": {"type": "string"}},
            "additionalProperties": True})},
    },
    "tencent-gateway": {
        "content_type": "application/json",
        "parameters": [{"in": "header", "name": "x-access-token", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": ("{code, message, result, success, timestamp}", {
            "type": "object", "required": ["code", "message", "success", "timestamp"],
            "properties": {"code": {"type": "integer"}, "message": {"type": "string"},
                           "result": {}, "success": {"type": "boolean"}, "timestamp": {"type": "integer"}},
            "additionalProperties": True})},
    },
    "openim": {
        "content_type": "application/json",
        "parameters": [
            {"in": "header", "name": "operationID", "required": True, "schema": {"type": "string"}},
            {"in": "header", "name": "token", "required": False, "schema": {"type": "string"},
             "description": "required except on /auth/get_admin_token and /auth/parse_token"},
        ],
        "responses": {
            "200": ("Always HTTP 200 for business results; data omitted on errors and empty replies", {
                "type": "object", "required": ["errCode", "errMsg", "errDlt"],
                "properties": {"errCode": {"type": "integer"}, "errMsg": {"type": "string"},
                               "errDlt": {"type": "string"}, "data": {}},
                "additionalProperties": False}),
            "429": ("Rate limit (only when the tenant sets one)", {
                "type": "object", "properties": {"errCode": {"type": "integer"}, "errMsg": {"type": "string"}}}),
        },
    },
    "rongcloud": {
        "content_type": "application/x-www-form-urlencoded",
        "parameters": [
            {"in": "header", "name": name, "required": True, "schema": {"type": "string"},
             "description": f"or RC-{name}; names match case-insensitively"}
            for name in ("App-Key", "Nonce", "Timestamp", "Signature")
        ],
        "responses": {
            status: (text, {"type": "object", "required": ["code"],
                            "properties": {"code": {"type": "integer"}, "errorMessage": {"type": "string"}},
                            "additionalProperties": True})
            for status, text in [("200", "code 200 on success; 254xx business errors"),
                                 ("400", "1002 parameter error, 1003 no POST data, 1005 too long, 1508 body too large"),
                                 ("401", "1004 signature error or unknown App-Key"),
                                 ("429", "1008 rate limit"), ("500", "1000 internal error")]
        },
    },
}

CONTROL = [
    ("get", "/_emulator/health", "Liveness, version, providers, uptime"),
    ("post", "/_emulator/reset", "Back to the loaded scenario (?provider=&tenant= narrows)"),
    ("get", "/_emulator/state", "The whole state as JSON (?provider=&tenant= narrows)"),
    ("put", "/_emulator/state", "Load a state dump"),
    ("get", "/_emulator/state/check", "Check every provider's state invariants"),
    ("post", "/_emulator/scenario", "Replace the scenario (YAML or JSON body); ?mode=merge adds"),
    ("get", "/_emulator/journal", "Recorded exchanges (?provider=&api=&tenant=&limit=)"),
    ("delete", "/_emulator/journal", "Empty the journal"),
    ("get", "/_emulator/faults", "Injected faults"),
    ("post", "/_emulator/faults", "Add a fault (or a list)"),
    ("delete", "/_emulator/faults", "Remove every fault"),
    ("delete", "/_emulator/faults/{fault_id}", "Remove one fault"),
    ("get", "/_emulator/clock", "The emulator clock"),
    ("get", "/_emulator/messages", "Stored messages (?provider=&tenant=&conversation=&user=&since=&offset=&limit=)"),
    ("post", "/_emulator/clock", "freeze_at / advance_s / real"),
    ("get", "/_emulator/rongcloud/history/{app_key}/{date}.gz",
     "RongCloud's hourly message log (gzip, JSON lines), the URL /message/history.json answers (?sign=)"),
    ("get", "/_emulator/openapi.json", "This document"),
    ("get", "/_emulator/credentials", "A valid credential minted now: ?provider=tencent|tencent-gateway|openim|rongcloud&tenant="),
    ("get", "/_emulator/callbacks", "Callback deliveries (?provider=&tenant=&command=&outcome=&kind=&since=&limit=&wait=)"),
    ("delete", "/_emulator/callbacks", "Clear the callback record"),
    ("get", "/_emulator/callbacks/config", "Every tenant's callback configuration"),
    ("put", "/_emulator/callbacks/config", "Set one tenant's callback configuration (the scenario entry's shape)"),
    ("delete", "/_emulator/callbacks/config/{provider}/{tenant}", "Remove a tenant's callback configuration"),
]


INT_BOUNDS = {"int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1), "uint32": (0, 2**32 - 1)}


def custom_field_properties(self, field, ret=None, **kwargs) -> dict:
    props = _custom_properties(self, field)
    if props and isinstance(props.get("type"), str) and (field.allow_none or field.load_default is None):
        props["type"] = [props["type"], "null"]   # a default of None must validate
    return props


def _custom_properties(self, field) -> dict:
    """OpenAPI properties of the providers' own marshmallow fields, which apispec cannot infer.

    Matched by class name (and duck-typed attributes) so this module needs no provider import:
    OpenIM's Go-typed fields (schemas_base.py) and RongCloud's form fields (schemas.py).
    """
    names = {c.__name__ for c in type(field).__mro__}
    if "GoNested" in names:
        return {"anyOf": [self.resolve_nested_schema(field.schema_cls), {"type": "null"}]}
    if "GoList" in names:
        inner = self.field2property(field.inner) if "GoNested" not in {c.__name__ for c in type(field.inner).__mro__} \
            else self.resolve_nested_schema(field.inner.schema_cls)
        return {"type": ["array", "null"], "items": inner}
    if "GoString" in names:
        return {"type": ["string", "null"]}
    if "GoObject" in names:
        return {"type": ["object", "null"]}
    if "GoBool" in names:
        return {"type": ["boolean", "null"]}
    if "GoInt" in names:
        lo, hi = INT_BOUNDS.get(getattr(field, "kind", "int64"), INT_BOUNDS["int64"])
        return {"type": ["integer", "null"], "minimum": lo, "maximum": hi}
    if "Num" in names:
        return {"type": "integer", **({"minimum": field.lo} if hasattr(field, "lo") else {}),
                **({"maximum": field.hi} if hasattr(field, "hi") else {})}
    if "Ids" in names:
        return {"type": "array", "items": {"type": "string"},
                "description": "repeated keys or one comma-joined value"}
    if "JsonObject" in names:
        return {"type": "string", "contentMediaType": "application/json", "description": "a JSON object"}
    if "Flag" in names:     # a form value "0"/"1"/"true"/"false"; the default is the parsed bool
        return {"type": ["string", "boolean"], "description": "0/1 or true/false, any case"}
    if "Text" in names:
        return {"type": "string", **({"maxLength": field.max_len} if getattr(field, "max_len", None) else {})}
    return {}


def _schema_name(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__.removesuffix("Schema") or cls.__name__


def build(providers: dict) -> dict:
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(title="im-emulator", version=__version__, openapi_version="3.1.0",
                   plugins=[plugin],
                   info={"description": "Local emulator of the Tencent Cloud Chat, OpenIM and "
                                        "RongCloud server REST APIs, at their real paths."})
    plugin.converter.add_attribute_function(custom_field_properties)
    seen: dict[str, dict] = {}
    op_ids: set[str] = set()
    for name, provider in providers.items():
        for route in provider.api_routes():
            env_name = getattr(route.envelope, "openapi_envelope", None) or \
                getattr(provider, "openapi_envelope", None) or name
            env = ENVELOPES[env_name]
            op_id = f"{name}:{route.api}"
            if op_id in op_ids:     # one API at two paths (Tencent's get_group_attr)
                op_id = f"{op_id}:{route.path}"
            op_ids.add(op_id)
            op: dict = {"tags": [name], "summary": route.summary or route.api, "operationId": op_id,
                        "parameters": env["parameters"],
                        "responses": {status: {"description": text, "content": {"application/json": {"schema": schema}}}
                                      for status, (text, schema) in env["responses"].items()}}
            if route.schema is not None:
                op["requestBody"] = {"required": True, "content": {env["content_type"]: {"schema": route.schema}}}
            seen.setdefault(route.path, {})[route.method.lower()] = op
    for method, path, summary in CONTROL:
        op = {"tags": ["control"], "summary": summary,
              "responses": {"200": {"description": "JSON", "content": {"application/json": {"schema": {"type": "object"}}}}}}
        if "{fault_id}" in path:
            op["parameters"] = [{"in": "path", "name": "fault_id", "required": True, "schema": {"type": "integer"}}]
        if "{provider}/{tenant}" in path:
            op["parameters"] = [{"in": "path", "name": n, "required": True, "schema": {"type": "string"}}
                                for n in ("provider", "tenant")]
        if "{app_key}" in path:
            op["parameters"] = [{"in": "path", "name": n, "required": True, "schema": {"type": "string"}}
                                for n in ("app_key", "date")]
            op["parameters"].append({"in": "query", "name": "sign", "required": True, "schema": {"type": "string"}})
            op["responses"] = {"200": {"description": "gzip'd JSON lines",
                                       "content": {"application/gzip": {"schema": {"type": "string"}}}},
                               "404": {"description": "unknown app, bad sign, or no log for that hour"}}
        seen.setdefault(path, {})[method] = op
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # apispec warns when one schema class is registered twice
        for path, ops in seen.items():
            spec.path(path=path, operations=ops)
        return spec.to_dict()


__all__ = ["build", "ENVELOPES"]
