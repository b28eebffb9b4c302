"""Request bodies of Tencent's message commands (reference tencent-messages-users-callbacks.md
§10-12). MsgBody elements are checked by models_messages (their codes depend on the command).

Group commands (group_open_http_svc) map a schema failure to 10004 like every group command; the
one-to-one commands (openim service) have per-field codes (§10.7), in ``C2C_FIELD_CODES``.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from emulator.core.scenario import flatten_errors

from .errors import TencentError

UINT32 = 4294967295
MSG_LIFETIME_MAX = 604800          # §10.1 MsgLifeTime <= 7 days
PRIORITIES = ("High", "Normal", "Low", "Lowest")   # §12.2 (Lowest: reported by get_simple)


class Body(Schema):
    class Meta:
        unknown = EXCLUDE


def Int(**kw) -> fields.Integer:
    return fields.Integer(strict=True, **kw)


def U32(**kw) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=UINT32), **kw)


def Flag(**kw) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.OneOf((0, 1)), **kw)


def MsgBodyField(**kw) -> fields.List:
    """MsgBody: a JSON array (elements checked by the rules, which know the command's codes).
    Plain List/Raw so the compiled fast path (core/fastload.py) takes these schemas."""
    return fields.List(fields.Raw(), **kw)


def _is_object(value) -> bool:
    return isinstance(value, dict)


def Object(**kw) -> fields.Raw:
    return fields.Raw(validate=_is_object, **kw)


class OfflinePushInfo(Body):
    PushFlag = Flag()
    Title = fields.String()
    Desc = fields.String()
    Ext = fields.String()
    AndroidInfo = Object()
    ApnsInfo = Object()


_common = {
    "MsgBody": MsgBodyField(required=True),
    "CloudCustomData": fields.String(),
    "OfflinePushInfo": fields.Nested(OfflinePushInfo),
    "SendMsgControl": fields.List(fields.String()),
    "ForbidCallbackControl": fields.List(fields.String()),
    "SupportMessageExtension": Flag(),
}


# --- one-to-one (v4/openim) ---------------------------------------------------------------------
class SendMsg(Body):
    SyncOtherMachine = Int(validate=validate.OneOf((1, 2)))
    From_Account = fields.String()
    To_Account = fields.String(required=True)
    OnlineOnlyFlag = Flag()
    MsgLifeTime = Int(validate=validate.Range(min=0))
    MsgSeq = U32()
    MsgRandom = U32(required=True)
    MsgTimeStamp = Int(validate=validate.Range(min=0))
    IsNeedReadReceipt = Flag()
    locals().update(_common)


class BatchSendMsg(Body):
    SyncOtherMachine = Int(validate=validate.OneOf((1, 2)))
    From_Account = fields.String()
    To_Account = fields.List(fields.String(), required=True)
    OnlineOnlyFlag = Flag()
    MsgLifeTime = Int(validate=validate.Range(min=0))
    MsgSeq = U32()
    MsgRandom = U32(required=True)
    IsNeedReadReceipt = Flag()
    locals().update(_common)


class ImportMsg(Body):
    SyncFromOldSystem = Int(required=True)
    From_Account = fields.String(required=True)
    To_Account = fields.String(required=True)
    MsgSeq = U32(required=True)
    MsgRandom = U32(required=True)
    MsgTimeStamp = Int(required=True, validate=validate.Range(min=0))
    MsgBody = MsgBodyField(required=True)
    CloudCustomData = fields.String()


class AdminGetRoamMsg(Body):
    # §10.6: an older EN copy names the first two From_Account / To_Account (legacy alias)
    Operator_Account = fields.String()
    Peer_Account = fields.String()
    From_Account = fields.String()
    To_Account = fields.String()
    MaxCnt = Int(required=True, validate=validate.Range(min=1))
    MinTime = Int(required=True, validate=validate.Range(min=0))
    MaxTime = Int(required=True, validate=validate.Range(min=0))
    LastMsgKey = fields.String()


class AdminMsgWithdraw(Body):
    From_Account = fields.String(required=True)
    To_Account = fields.String(required=True)
    MsgKey = fields.String(required=True)


class ReadTime(fields.Field):
    """MsgReadTime: Integer (CN) or a numeric String (EN/trtc), seconds."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("MsgReadTime must be a number of seconds")
        if isinstance(value, int) and value >= 0:
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
        raise ValidationError("MsgReadTime must be a number of seconds")


class AdminSetMsgRead(Body):
    Report_Account = fields.String(required=True)
    Peer_Account = fields.String(required=True)
    MsgReadTime = ReadTime()


class GetC2cUnreadMsgNum(Body):
    To_Account = fields.String(required=True)
    Peer_Account = fields.List(fields.String())


# Per-command field -> code (§10.7); anything else is 90001 (invalid request).
_C2C_BASE = {"To_Account": 90003, "MsgRandom": 90005, "MsgTimeStamp": 90006, "MsgBody": 90007,
             "From_Account": 90008, "SyncOtherMachine": 90031, "MsgLifeTime": 90044,
             "OfflinePushInfo": 90043}
C2C_FIELD_CODES = {      # keyed by the route's api name (<service>/<command>)
    "openim/sendmsg": _C2C_BASE,
    "openim/batchsendmsg": {**_C2C_BASE, "To_Account": 90028},
    "openim/importmsg": {**_C2C_BASE, "SyncFromOldSystem": 90030},
    "openim/admin_getroammsg": {"Operator_Account": 90008, "From_Account": 90008, "Peer_Account": 90003,
                         "To_Account": 90003},
    "openim/admin_msgwithdraw": {"From_Account": 90008, "To_Account": 90003, "MsgKey": 90054},
    "openim/admin_set_msg_read": {"Report_Account": 90008, "Peer_Account": 90003},
    "openim/get_c2c_unread_msg_num": {"To_Account": 90003},
}


def c2c_schema_error(api: str, exc: ValidationError) -> TencentError:
    problems = flatten_errors(exc.messages) or [("", "invalid body")]
    path, reason = problems[0]
    top = path.split(".")[0].split("[")[0]
    code = C2C_FIELD_CODES.get(api, {}).get(top, 90001)
    return TencentError(code, f"{path}: {reason}" if path else reason)


# --- groups (v4/group_open_http_svc) ------------------------------------------------------------
class GroupAtItem(Body):
    GroupAtAllFlag = Int(validate=validate.OneOf((0, 1)))
    GroupAt_Account = fields.String()


class SendGroupMsg(Body):
    GroupId = fields.String(required=True)
    Random = U32(required=True)
    MsgPriority = fields.String(validate=validate.OneOf(PRIORITIES))
    From_Account = fields.String()
    OnlineOnlyFlag = Flag()
    To_Account = fields.List(fields.String())
    TopicId = fields.String()
    NeedReadReceipt = Flag()
    GroupAtInfo = fields.List(fields.Nested(GroupAtItem))
    locals().update(_common)


class SendGroupSystemNotification(Body):
    GroupId = fields.String(required=True)
    ToMembers_Account = fields.List(fields.String())
    Content = fields.String(required=True)
    TopicId = fields.String()


class ImportGroupMsgItem(Body):
    From_Account = fields.String(required=True)
    SendTime = Int(required=True, validate=validate.Range(min=0))
    Random = U32()
    MsgBody = MsgBodyField(required=True)
    CloudCustomData = fields.String()


class ImportGroupMsg(Body):
    GroupId = fields.String(required=True)
    RecentContactFlag = Flag()
    MsgList = fields.List(fields.Nested(ImportGroupMsgItem), required=True)
    TopicId = fields.String()


class GroupMsgGetSimple(Body):
    GroupId = fields.String(required=True)
    ReqMsgNumber = Int(required=True, validate=validate.Range(min=1))
    ReqMsgSeq = Int(validate=validate.Range(min=1))
    WithRecalledMsg = Flag()
    TopicId = fields.String()


class MsgSeqItem(Body):
    MsgSeq = Int(required=True, validate=validate.Range(min=1))


class GroupMsgRecall(Body):
    GroupId = fields.String(required=True)
    MsgSeqList = fields.List(fields.Nested(MsgSeqItem), required=True)
    Reason = fields.String()
    TopicId = fields.String()


class DeleteGroupMsgBySender(Body):
    GroupId = fields.String(required=True)
    Sender_Account = fields.String(required=True)
    TopicId = fields.String()
