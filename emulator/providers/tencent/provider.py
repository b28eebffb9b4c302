"""Tencent Cloud Chat envelope: /v4/<service>/<command>?sdkappid=&identifier=&usersig=...

Always HTTP 200 with ActionStatus / ErrorCode / ErrorInfo (reference tencent.md §1.3). Check
order: route (unknown service or path 60009, see catalog.py) -> sdkappid (60012 missing, 70020
unknown) -> UserSig (70002/70003/70013/70014/70009/70001) -> admin (60010) -> rate limit (60007) -> JSON body
(60003) -> schema (60015 for an account of the wrong type, else 10004 / 70402) -> handler.
"""

from __future__ import annotations

from typing import Any

import orjson
from marshmallow import ValidationError

from emulator.core.errors import ProviderError, SeedError
from emulator.core.presence import TokenCheck
from emulator.providers.base import Call, Provider, Route, TenantBackend

from . import callbacks, catalog, urls
from .auth import decode_usersig, verify_usersig
from .errors import TencentError
from .gateway import GATEWAY_PATH, TencentGatewayProvider, gateway_route
from .legacy import LEGACY_FIELDS, current_names
from .models import DEFAULT_MESSAGE_SETTINGS, App, app_from_spec, app_to_json, check_app
from .models_messages import check_messages, seed_messages
from .models_users import PLATFORMS, kicked_sig
from .schemas_scenario import AppSpec, TencentSection

CATCH_ALL = "/v4/{service}/{command}"


class TencentBackend(TenantBackend):
    section_key = "apps"

    def __init__(self, clock) -> None:
        super().__init__(clock)
        self.gateway: dict | None = None

    def tenant_id(self, spec: dict) -> str:
        return str(spec["sdkappid"])

    def build_tenant(self, spec: dict) -> App:
        app = app_from_spec(spec, self.clock.now())
        app.message_settings.update(spec.get("message_settings") or {})
        try:
            app.messages = seed_messages(app, spec.get("messages"))
        except SeedError as exc:
            raise exc.under("messages") from None
        return app

    def tenant_to_json(self, tenant: App) -> dict:
        data = app_to_json(tenant)
        if tenant.message_settings != DEFAULT_MESSAGE_SETTINGS:
            data["message_settings"] = dict(tenant.message_settings)
        if not tenant.messages.is_default():
            data["messages"] = tenant.messages.dump()
        return data

    def tenant_from_json(self, data: dict) -> App:
        # the presence part of a dump is core/presence.py's, loaded by TenantBackend
        data = {k: v for k, v in data.items() if k != "presence"}
        return self.build_tenant(AppSpec().load(data))

    presence_platforms = PLATFORMS

    def check_client_token(self, tenant_id: str, token: str, now_ms: int) -> TokenCheck:
        """A client logs in with a UserSig, which the emulator never issued: it is checked by
        signature, expiry and the account's kick watermark."""
        app = self.tenants.get(tenant_id)
        if app is None:
            return TokenCheck(False, "unknown tenant")
        return check_usersig(app, token, now_ms)

    def tenant_from_snapshot(self, data: dict) -> App:
        """A dump this emulator wrote itself (core/persist.py snapshots): AppSpec().load returns
        such a dump unchanged (tests/test_durability.py checks it), so skip its validation, which
        was 90% of a restart's time. The message store and settings come along (build_tenant)."""
        return self.build_tenant(data)

    def check_tenant(self, tenant_id: str, tenant: App) -> list[str]:
        return check_app(tenant) + check_messages(tenant)

    def conversations_of(self, tenant_id: str, user: str) -> dict[str, float | None]:
        """One-to-one conversations, plus every group the user is in now (and its online-only
        log) from their JoinTime on."""
        out = super().conversations_of(tenant_id, user)
        app = self.tenants.get(tenant_id)
        if app is not None:
            for gid in app.joined.get(user, ()):
                joined = app.groups[gid].members[user].JoinTime
                out["group:" + gid] = out["online:group:" + gid] = joined
        return out

    def configure_extra(self, section: dict, merge: bool) -> None:
        if not merge or section.get("gateway") is not None:
            self.gateway = section.get("gateway")

    # the inspector's rows (inspector.py, imported when first asked for)
    def inspect_settings(self, tenant) -> dict:
        from .inspector import settings
        return settings(self, tenant)

    def inspect_rows(self, tenant, kind, parent, offset, limit):
        from .inspector import rows
        return rows(self, tenant, kind, parent, offset, limit)


def check_usersig(app: App, token: str, now_ms: int) -> TokenCheck:
    """/_emulator/tokens/check for a UserSig: would a client presenting it be let in now?"""
    try:
        doc = decode_usersig(token)
        user = doc["TLS.identifier"]
        verify_usersig(token, user, app.sdkappid, app.key, now_ms / 1000)
    except TencentError as exc:
        reason = "expired" if exc.code == 70001 else f"invalid: {exc.code} {exc.message}"
        user = None if exc.code == 70003 else doc["TLS.identifier"]
        return TokenCheck(False, reason, user)
    expires_at = (doc["TLS.time"] + doc["TLS.expire"]) * 1000
    if kicked_sig(app, user, doc["TLS.time"]):
        return TokenCheck(False, "revoked: kicked", user, None, expires_at)
    return TokenCheck(True, "ok", user, None, expires_at)


def _unknown(code: int, message: str):
    def handler(call: Call):
        raise TencentError(code, message)
    return handler


class TencentProvider(Provider):
    name = "tencent"
    error_code_key = "ErrorCode"
    error_type = TencentError
    scenario_schema = TencentSection
    callback_spec = callbacks.SPEC

    def __init__(self, clock) -> None:
        super().__init__(clock, TencentBackend(clock))
        self.gateway = TencentGatewayProvider(clock, self.backend)

    # --- routing -------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        """Every API at its real path, the catch-all for the rest, and the seed-000 wrapper."""
        return [*urls.API_ROUTES,
                Route("POST", CATCH_ALL, api="not_found",
                      summary="Any other command: 60009 / 10003, or 60017 for a real one not emulated",
                      readonly=True),
                Route("*", CATCH_ALL, api="not_found", auth=False,
                      summary="Non-POST methods: 60002 (REST API is POST only)", readonly=True),
                gateway_route(self.gateway)]

    def claims(self, request) -> int:
        return self.CLAIM_SURE if request.path.startswith("/v4/") else self.CLAIM_NONE

    def not_found_route(self) -> Route:
        """Other /v4/ paths (one segment, extra segments): 60009 like an unknown URL."""
        return Route("*", "", api="not_found", auth=False, summary="Unknown /v4/ path: 60009",
                     readonly=True)

    def resolve(self, call: Call) -> Route:
        req = call.request
        if req.method != "POST":
            raise TencentError(60002, "REST API only accepts POST")
        if call.route.path != CATCH_ALL:
            if call.route.api == "not_found":
                raise TencentError(60009, f"unknown path {req.path}")
            return call.route
        service, command = req.match_info["service"], req.match_info["command"]
        route = urls.TABLE.get((service, command))
        if route is not None:
            return route
        # only now the catalog: a command that has a route never gets here
        commands = catalog.REAL_COMMANDS.get(service)
        if commands is None and service not in urls.SERVICES:
            raise TencentError(60009, f"unknown service {service}")
        if commands is not None and command in commands:
            code = catalog.NOT_EMULATED
            message = (f"v4/{service}/{command} is a real Tencent REST API that im-emulator does "
                       f"not emulate")
        else:
            code, message = catalog.unknown_command_code(service), f"invalid command {command}"
        return Route("POST", call.route.path, api="not_found", handler=_unknown(code, message), readonly=True)

    # --- pipeline hooks --------------------------------------------------------------------
    def tenant_hint(self, call: Call) -> str | None:
        return call.request.query.get("sdkappid") or None

    def authenticate(self, call: Call) -> None:
        query = call.request.query
        sdkappid = query.get("sdkappid", "")
        if not sdkappid:
            raise TencentError(60012)
        app = self.backend.tenants.get(sdkappid)
        if app is None:
            raise TencentError(70020)
        identifier = query.get("identifier", "")
        doc = verify_usersig(query.get("usersig", ""), identifier, sdkappid, app.key, call.now)
        if app.kicked and kicked_sig(app, identifier, doc["TLS.time"]):
            raise TencentError(70001, "UserSig was voided by a kick of its account")
        if identifier not in app.admins:
            raise TencentError(60010)
        call.tenant_id, call.tenant, call.caller = sdkappid, app, identifier

    def rate_limit(self, call: Call) -> float | None:
        return call.tenant.rate_limit if call.tenant is not None else None

    def rate_limited(self, call: Call) -> ProviderError:
        return TencentError(60007)

    def parse_body(self, call: Call) -> Any:
        """The body must be JSON (``{}`` when a command needs nothing) -> else 60003."""
        try:
            return orjson.loads(call.raw)
        except orjson.JSONDecodeError:
            raise TencentError(60003) from None

    def body_refused(self, call: Call, reason: str, too_large: bool) -> ProviderError:
        """No documented code: an oversized body is an HTTP parse error (60002), an undecodable
        one unparseable JSON (60003); README Known differences."""
        return TencentError(60002 if too_large else 60003, reason)

    def validate(self, call: Call) -> Any:
        """Older field names (legacy.py) become the current ones before the schema runs."""
        renames = LEGACY_FIELDS.get(call.api.rpartition("/")[2])  # keyed by command
        if renames is not None:
            call.payload = current_names(call.payload, renames)
        return super().validate(call)

    def validation_error(self, call: Call, exc: ValidationError) -> ProviderError:
        # here, not at import: the request schema modules load with a route's first request
        from .schemas import schema_error
        from .schemas_messages import C2C_FIELD_CODES, c2c_schema_error
        if call.api in C2C_FIELD_CODES:       # one-to-one message commands: per-field 90xxx codes
            return c2c_schema_error(call.api, exc)
        code = urls.BAD_PARAM_CODE.get(urls.SERVICE_OF.get(call.api), 10004)
        err = schema_error(exc, code)
        # the openim and profile services answer a body they cannot decode with one fixed text
        # (users §9.5 "Fail to Parse json data of body...", §9.6 "Err_Profile_Comm_Decode_Fail")
        return TencentError(err.code) if err.code in (90001, 40001) else err

    def render_ok(self, call: Call, result: Any) -> tuple[int, Any]:
        return 200, {"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0, **(result or {})}

    def render_error(self, call: Call, err: ProviderError) -> tuple[int, Any]:
        return err.http_status or 200, {"ActionStatus": "FAIL", "ErrorInfo": err.message,
                                        "ErrorCode": err.code}

    def internal_error(self, call: Call) -> ProviderError:
        return TencentError(urls.INTERNAL_CODE.get(urls.SERVICE_OF.get(call.api), 10002))


__all__ = ["TencentProvider", "TencentBackend", "GATEWAY_PATH"]
