"""The OpenIM envelope (reference openim.md section 1): POST JSON, operationID then token
headers, HTTP 200 with {errCode, errMsg, errDlt, data}, data omitted on errors and empty replies.
"""

from __future__ import annotations

from typing import Any

import orjson
from marshmallow import ValidationError

from emulator.providers.openim import callbacks as openim_callbacks
from emulator.providers.base import Call, Provider, Route

from . import auth
from .errors import ARGS, INTERNAL, NOT_FOUND, TOO_MANY_REQUESTS, OpenIMError, check, render_texts
from .models import DEFAULT_VERSION, OpenIMBackend, OpenIMScenarioSchema
from .schemas_base import go_error_text

OPERATION_ID = "operationID"
TOKEN = "token"
# Paths the token middleware lets through (router.go Whitelist, prefix match).
TOKEN_WHITELIST = ("/auth/get_admin_token", "/auth/parse_token")
CORS = {"Access-Control-Allow-Origin": "*"}
GIN_BIND = {"user/get_users_online_status": INTERNAL, "user/get_users_online_token_detail": ARGS,
            # messages (webhooks ref 0.2): 1001, HTTP 400, the decoder text in errDlt
            "msg/send_msg": ARGS, "msg/batch_send_msg": ARGS, "msg/send_business_notification": ARGS}
UNHANDLED_COUNT_API = "group/get_group_application_unhandled_count"   # added after v3.8.3


class Empty:
    """A reply message with no exported fields: the envelope omits ``data``."""


EMPTY = Empty()
OPTIONS_REPLY = object()


class GoMap(dict):
    """A proto map field: an empty one comes back as null like an empty list."""


class OpenIMProvider(Provider):
    name = "openim"
    error_code_key = "errCode"
    error_type = OpenIMError
    scenario_schema = OpenIMScenarioSchema
    callback_spec = openim_callbacks.SPEC

    def __init__(self, clock) -> None:
        super().__init__(clock, OpenIMBackend(clock))

    # --- routing -------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        from .urls import build_routes
        return build_routes(self)

    def resolve(self, call: Call) -> Route:
        method = call.request.method
        if method == "OPTIONS":
            return self._options_route
        if call.route.api == "not_found" and method != "POST":
            return self._not_found_get   # gin's middleware acts on POST only
        return call.route

    # --- auth ----------------------------------------------------------------------------
    def tenant_hint(self, call: Call) -> str | None:
        if call.request.path.startswith("/auth/get_admin_token"):
            try:
                body = orjson.loads(call.raw)
            except orjson.JSONDecodeError:
                return None
            if isinstance(body, dict):
                for k, v in body.items():
                    if isinstance(k, str) and k.lower() == "secret" and isinstance(v, str):
                        t = self.backend.by_secret(v)
                        return t.id if t is not None else None
            return None
        token = call.request.headers.get(TOKEN)
        t = auth.find_tenant(token, self.backend.tenants) if token else None
        return t.id if t is not None else None

    def authenticate(self, call: Call) -> None:
        headers = call.request.headers
        if not headers.get(OPERATION_ID):
            raise check("header must have operationID")
        if call.request.path.startswith(TOKEN_WHITELIST):
            hint = self.tenant_hint(call)
            if hint is not None:
                call.tenant_id, call.tenant = hint, self.backend.tenants[hint]
            return
        token = headers.get(TOKEN)
        if not token:
            raise check("header must have token")
        tenant, claims = auth.verify(token, self.backend.tenants, call.now)
        call.tenant_id, call.tenant = tenant.id, tenant
        call.caller = claims.get("UserID", "")
        call.extra["platformID"] = claims.get("PlatformID", 0)
        if call.route.api == UNHANDLED_COUNT_API and not tenant.setting("unhandled_count_route"):
            raise OpenIMError(NOT_FOUND)    # v3.8.3 has no such route: gin's 404 (7.8, 15)

    def rate_limit(self, call: Call) -> float | None:
        return call.tenant.setting("rate_limit") if call.tenant is not None else None

    def rate_limited(self, call: Call) -> OpenIMError:
        return OpenIMError(TOO_MANY_REQUESTS)

    # --- body ----------------------------------------------------------------------------
    def parse_body(self, call: Call) -> Any:
        if call.route.api in ("options", "not_found"):
            return None
        if not call.raw.strip():
            raise self._bind_error(call, OpenIMError(ARGS, "unexpected end of JSON input"))
        try:
            return orjson.loads(call.raw)
        except orjson.JSONDecodeError as exc:
            raise self._bind_error(
                call, OpenIMError(ARGS, f"invalid character in JSON input: {exc}")) from None

    def body_refused(self, call: Call, reason: str, too_large: bool) -> OpenIMError:
        """The server reads the body whole and fails to decode it: 1001 ArgsError with the
        reason (an oversized body would hit the 8 MiB gRPC cap; README Known differences)."""
        return OpenIMError(ARGS, reason)

    def validation_error(self, call: Call, exc: ValidationError) -> OpenIMError:
        struct = type(call.route.schema).__name__.removesuffix("Schema")
        return self._bind_error(call, OpenIMError(ARGS, go_error_text(exc.messages, struct)))

    def _bind_error(self, call: Call, err: OpenIMError) -> OpenIMError:
        """Routes bound by gin directly answer HTTP 400 on a bad body (users §0.2): the online
        status route with errCode 500 and the decoder text as errDlt (not a CodeError, §1.7),
        the token-detail route with 1001 and that text (§1.8)."""
        code = GIN_BIND.get(call.route.api)
        if code is None:
            return err
        if code == INTERNAL and _error_format(call.tenant) == "v3.8.3":
            # v3.8.3's tools put a plain error's text in errMsg and leave errDlt empty (§0.1)
            return OpenIMError(code, err.message, http_status=400)
        return OpenIMError(code, detail=err.message, http_status=400)

    # --- rendering -----------------------------------------------------------------------
    def render_ok(self, call: Call, result: Any) -> tuple[int, Any]:
        call.response_headers = CORS
        if result is OPTIONS_REPLY:
            return 200, "Options Request!"
        body: dict = {"errCode": 0, "errMsg": "", "errDlt": ""}
        if result is not None and result is not EMPTY:
            null = call.tenant.setting("empty_lists_null") if call.tenant is not None else True
            body["data"] = go_nulls(result) if null else result
        return 200, body

    def render_error(self, call: Call, err) -> tuple[int, Any]:
        call.response_headers = CORS
        if err.code == TOO_MANY_REQUESTS:
            return err.http_status, {"errCode": err.code, "errMsg": err.message}
        if not err.extra:
            return err.http_status, {"errCode": err.code, "errMsg": err.message, "errDlt": err.detail}
        code, msg, dlt = render_texts(err, self.error_format(call, err))
        return err.http_status, {"errCode": code, "errMsg": msg, "errDlt": dlt}

    def error_format(self, call: Call, err: OpenIMError) -> str:
        """The caller's tenant's error_format (or the tenant that signed a refused token); before
        a tenant is known (a missing header), the one every tenant shares, else the default's."""
        t = call.tenant if call.tenant is not None else err.extra.get("tenant")
        if t is not None:
            return t.setting("error_format")
        formats = {t.setting("error_format") for t in self.backend.tenants.values()}
        return formats.pop() if len(formats) == 1 else DEFAULT_VERSION

    def internal_error(self, call: Call) -> OpenIMError:
        return OpenIMError(INTERNAL)

    # --- unknown paths (app.py): OpenIM's modules and headers ------------------------------
    _MODULES = ("/auth/", "/user/", "/friend/", "/group/", "/msg/", "/conversation/", "/third/",
                "/statistics/", "/object/", "/jssdk/")

    def claims(self, request) -> int:
        if OPERATION_ID in request.headers or TOKEN in request.headers:
            return self.CLAIM_HEADERS
        return self.CLAIM_PREFIX if request.path.startswith(self._MODULES) else self.CLAIM_NONE

    # --- special routes --------------------------------------------------------------------
    @property
    def _options_route(self) -> Route:
        return Route("OPTIONS", "", "options", handler=lambda call: OPTIONS_REPLY, auth=False,
                     summary="CORS preflight", readonly=True)

    @property
    def _not_found_get(self) -> Route:
        return Route("GET", "", "not_found", handler=not_found, auth=False, summary="unknown path",
                     readonly=True)


def _error_format(tenant) -> str:
    """The tenant's error-text profile (the default version's before a tenant is known)."""
    return tenant.setting("error_format") if tenant is not None else DEFAULT_VERSION


def not_found(call: Call):
    raise OpenIMError(NOT_FOUND)


_SCALARS = frozenset((str, int, bool, float, type(None)))


def go_nulls(value):
    """Empty lists and maps become null, as a nil slice/map does after a gRPC hop.

    Containers with nothing to change are returned as they are (the reply is serialised at
    once), so a reply of scalars costs one type check per value rather than a copy."""
    if isinstance(value, dict):
        if not value and isinstance(value, GoMap):
            return None
        out = None
        for k, v in value.items():
            if type(v) in _SCALARS:
                continue
            new = go_nulls(v)
            if new is not v:
                if out is None:
                    out = dict(value)
                out[k] = new
        return value if out is None else out
    if isinstance(value, list):
        if not value:
            return None
        out = None
        for i, v in enumerate(value):
            if type(v) in _SCALARS:
                continue
            new = go_nulls(v)
            if new is not v:
                if out is None:
                    out = list(value)
                out[i] = new
        return value if out is None else out
    return value
