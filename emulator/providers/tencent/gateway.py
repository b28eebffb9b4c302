"""The admin wrapper of seed 000: ``POST /im/group/createGroup`` with an ``x-access-token`` JWT.

A third-party admin backend (JeecgBoot style) in front of Tencent's create_group: its camelCase
body maps onto create_group of the gateway's target SDKAppID, called as that app's admin, and
it answers ``{code, message, result, success, timestamp}``. ``result`` echoes the request with
groupId, actionStatus, errorCode and errorInfo filled in from Tencent's answer.

Codes: 0 success; 401 missing/bad token; 400 body not a JSON object or of the wrong shape; 500 a
Tencent failure (its ErrorCode/ErrorInfo inside ``result``). The topic fields (supportTopic,
enablePermission, defaultPermission) are forwarded only for a Community, as the wrapper's form
always carries them (the seed sends 1 for a Public group) and Tencent accepts them only there.
"""

from __future__ import annotations

from typing import Any

import orjson
from marshmallow import EXCLUDE, Schema, ValidationError, fields

from emulator.core.errors import ProviderError
from emulator.providers.base import Call, Provider, Route

from .errors import GatewayError, TencentError
from .handlers_groups import create_group

GATEWAY_PATH = "/im/group/createGroup"
TOKEN_HEADER = "x-access-token"
SUCCESS_MESSAGE = "操作成功！"

# camelCase wrapper field -> Tencent create_group field
FIELD_MAP = {"ownerAccount": "Owner_Account", "type": "Type", "groupId": "GroupId", "name": "Name",
             "introduction": "Introduction", "notification": "Notification", "faceUrl": "FaceUrl",
             "maxMemberCount": "MaxMemberCount", "applyJoinOption": "ApplyJoinOption",
             "inviteJoinOption": "InviteJoinOption", "appDefinedDataList": "AppDefinedData",
             "memberInfoList": "MemberList"}
TOPIC_FIELDS = {"supportTopic": "SupportTopic", "enablePermission": "EnablePermission",
                "defaultPermission": "DefaultPermission"}


class CreateGroupModel(Schema):
    """The wrapper's request DTO; values are type-checked by create_group's own schema."""

    class Meta:
        unknown = EXCLUDE

    actionStatus = fields.Raw(allow_none=True)
    errorCode = fields.Raw(allow_none=True)
    errorInfo = fields.Raw(allow_none=True)
    appDefinedDataList = fields.Raw(allow_none=True)
    applyJoinOption = fields.Raw(allow_none=True)
    defaultPermission = fields.Raw(allow_none=True)
    enablePermission = fields.Raw(allow_none=True)
    faceUrl = fields.Raw(allow_none=True)
    groupId = fields.Raw(allow_none=True)
    introduction = fields.Raw(allow_none=True)
    inviteJoinOption = fields.Raw(allow_none=True)
    maxMemberCount = fields.Raw(allow_none=True)
    memberInfoList = fields.Raw(allow_none=True)
    name = fields.Raw(allow_none=True)
    notification = fields.Raw(allow_none=True)
    ownerAccount = fields.Raw(allow_none=True)
    supportTopic = fields.Raw(allow_none=True)
    type = fields.Raw(allow_none=True)


def to_create_group(dto: dict) -> dict:
    body = {FIELD_MAP[k]: v for k, v in dto.items() if k in FIELD_MAP and v is not None}
    if dto.get("type") == "Community":
        body.update({TOPIC_FIELDS[k]: v for k, v in dto.items() if k in TOPIC_FIELDS and v is not None})
    return body


def h_create_group(call: Call) -> dict:
    """Validate the mapped body with create_group's schema, then create the group."""
    from .schemas import CreateGroup, schema_error   # the request schemas load on first use
    body = to_create_group(call.data)
    try:
        data = CreateGroup().load(body)
    except ValidationError as exc:
        raise schema_error(exc, 10004) from None
    result = create_group(call.tenant, data, call.caller, call.now)
    return {"groupId": result["GroupId"]}


class TencentGatewayProvider(Provider):
    """The wrapper's envelope; shares the Tencent backend (name "tencent" for faults/journal)."""

    name = "tencent"
    error_code_key = "code"
    error_type = GatewayError
    openapi_envelope = "tencent-gateway"

    def routes(self) -> list[Route]:
        return [gateway_route(self)]

    def tenant_hint(self, call: Call) -> str | None:
        cfg = self.backend.gateway
        return str(cfg["target_sdkappid"]) if cfg else None

    def authenticate(self, call: Call) -> None:
        cfg = self.backend.gateway
        token = call.request.headers.get(TOKEN_HEADER, "")
        if not token or cfg is None:
            raise GatewayError(401)
        import jwt   # on the first gateway call, not at start (it pulls in cryptography)
        try:
            if token in cfg["accept_tokens"]:
                claims = jwt.decode(token, options={"verify_signature": False})
            else:
                # expiry is checked below against the emulator clock, not the wall clock
                claims = jwt.decode(token, cfg["secret"], algorithms=["HS256"],
                                    options={"verify_exp": False})
                exp = claims.get("exp")
                if cfg["verify_exp"] and isinstance(exp, (int, float)) and exp < call.now:
                    raise GatewayError(401, "token expired, please log in again")
        except jwt.PyJWTError:
            raise GatewayError(401) from None
        if cfg["users"] and claims.get("username") not in cfg["users"]:
            raise GatewayError(401, "user not allowed")
        app = self.backend.tenants.get(str(cfg["target_sdkappid"]))
        if app is None:
            raise TencentError(70020)
        call.tenant_id, call.tenant = app.sdkappid, app
        call.caller = cfg.get("identifier") or app.admins[0]

    def rate_limited(self, call: Call) -> ProviderError:
        return TencentError(60007)

    def parse_body(self, call: Call) -> Any:
        try:
            body = orjson.loads(call.raw)
        except orjson.JSONDecodeError:
            raise GatewayError(400, "request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise GatewayError(400, "request body must be a JSON object")
        return body

    def body_refused(self, call: Call, reason: str, too_large: bool) -> ProviderError:
        return GatewayError(400, reason)

    def validation_error(self, call: Call, exc: ValidationError) -> ProviderError:
        return GatewayError(400)

    def _echo(self, call: Call) -> dict:
        return dict(call.payload) if isinstance(call.payload, dict) else {}

    def render_ok(self, call: Call, result: Any) -> tuple[int, Any]:
        echo = self._echo(call)
        echo.update(groupId=result["groupId"], actionStatus="OK", errorCode=0, errorInfo="")
        return 200, {"code": 0, "message": SUCCESS_MESSAGE, "result": echo, "success": True,
                     "timestamp": self.clock.now_ms()}

    def render_error(self, call: Call, err: ProviderError) -> tuple[int, Any]:
        if isinstance(err, GatewayError) and err.code in GatewayError.table:
            return 200, {"code": err.code, "message": err.message, "result": None, "success": False,
                         "timestamp": self.clock.now_ms()}
        echo = self._echo(call)
        echo.update(actionStatus="FAIL", errorCode=err.code, errorInfo=err.message)
        return 200, {"code": 500, "message": err.message, "result": echo, "success": False,
                     "timestamp": self.clock.now_ms()}

    def internal_error(self, call: Call) -> ProviderError:
        return GatewayError(500)


def gateway_route(gateway: TencentGatewayProvider) -> Route:
    return Route("POST", GATEWAY_PATH, api=GATEWAY_PATH.lstrip("/"), handler=h_create_group,
                 schema=CreateGroupModel, envelope=gateway,
                 summary="Seed-000 admin wrapper around create_group (x-access-token JWT)")
