"""Request bodies of the Tencent REST API, one schema per command (reference tencent.md §3.3).

Field names are Tencent's own. Unknown fields are ignored (EXCLUDE). Lengths are UTF-8 bytes.
The provider maps a failure to 60015 when an account field has the wrong JSON type, otherwise
to the service's invalid-parameter code (10004 for groups, 70402 for accounts).
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from emulator.core.scenario import flatten_errors

from .errors import TencentError
from .models import APPLY_JOIN, GROUP_TYPES, INVITE_JOIN, MSG_FLAGS, ON_OFF, PERMANENT, TYPE_ALIASES

ACCOUNT_TYPE_ERROR = "account must be a string"

# §3.3 byte limits (UTF-8 bytes; one CJK character = 3 bytes)
NAME_BYTES = 30
INTRODUCTION_BYTES = 240
NOTIFICATION_BYTES = 300
FACEURL_BYTES = 100
NAMECARD_BYTES = 50
USERID_BYTES = 32        # §2.1 UserID up to 32 bytes
NICK_BYTES = 500         # UNKNOWN for REST; emulator choice

CREATE_TYPES = GROUP_TYPES + tuple(TYPE_ALIASES)


class MaxBytes(validate.Validator):
    """UTF-8 byte length limit; the message names the field (10004 'Name exceeds 30 bytes')."""

    def __init__(self, limit: int, name: str) -> None:
        self.limit, self.name = limit, name

    def __call__(self, value: str) -> str:
        if len(value.encode("utf-8")) > self.limit:
            raise ValidationError(f"{self.name} exceeds {self.limit} bytes")
        return value


def Text(name: str, limit: int, **kw) -> fields.String:
    return fields.String(validate=MaxBytes(limit, name), **kw)


def Account(**kw) -> fields.String:
    return fields.String(error_messages={"invalid": ACCOUNT_TYPE_ERROR}, **kw)


def Int(**kw) -> fields.Integer:
    return fields.Integer(strict=True, **kw)


def Flag(**kw) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.OneOf((0, 1)), **kw)


def Enum(values, **kw) -> fields.String:
    return fields.String(validate=validate.OneOf(values), **kw)


def Accounts(**kw) -> fields.List:
    return fields.List(Account(), **kw)


class Body(Schema):
    class Meta:
        unknown = EXCLUDE


class KeyValue(Body):
    Key = fields.String(required=True)
    Value = fields.String(required=True)


class AttrKeyValue(Body):
    key = fields.String(required=True)
    value = fields.String(required=True)


def KVList(**kw) -> fields.List:
    return fields.List(fields.Nested(KeyValue), **kw)


# --- im_open_login_svc -------------------------------------------------------------------------
class AccountImport(Body):
    UserID = Account(required=True, validate=MaxBytes(USERID_BYTES, "UserID"))
    Nick = Text("Nick", NICK_BYTES)
    FaceUrl = fields.String()


class AccountListItem(Body):
    UserID = Account(required=True, validate=MaxBytes(USERID_BYTES, "UserID"))
    Nick = Text("Nick", NICK_BYTES)
    FaceUrl = fields.String()


class MultiaccountImport(Body):
    """Two documented forms (tencent-messages-users-callbacks.md §9.3): the original
    ``Accounts`` (ids only) and, since 2024-12, ``AccountList`` of {UserID, Nick, FaceUrl}.
    One of them is required (checked by the handler; AccountList wins when both are sent)."""
    Accounts = fields.List(Account(validate=MaxBytes(USERID_BYTES, "UserID")))
    AccountList = fields.List(fields.Nested(AccountListItem))


class UserItem(Body):
    UserID = Account(required=True)


class AccountDelete(Body):
    DeleteItem = fields.List(fields.Nested(UserItem), required=True)


class AccountCheck(Body):
    CheckItem = fields.List(fields.Nested(UserItem), required=True)


# --- group_open_http_svc: groups -----------------------------------------------------------------
class CreateMember(Body):
    Member_Account = Account(required=True)
    Role = Enum(("Admin", "Member"))
    JoinTime = Int()
    MsgFlag = Enum(MSG_FLAGS)
    NameCard = Text("NameCard", NAMECARD_BYTES)
    AppMemberDefinedData = KVList()


class GroupFields(Body):
    Owner_Account = Account()
    Type = Enum(CREATE_TYPES, required=True)
    GroupId = fields.String()
    Name = Text("Name", NAME_BYTES, required=True)
    Introduction = Text("Introduction", INTRODUCTION_BYTES)
    Notification = Text("Notification", NOTIFICATION_BYTES)
    FaceUrl = Text("FaceUrl", FACEURL_BYTES)
    MaxMemberCount = Int(validate=validate.Range(min=1))
    ApplyJoinOption = Enum(APPLY_JOIN)
    InviteJoinOption = Enum(INVITE_JOIN)
    AppDefinedData = KVList()
    SupportTopic = Flag()


class CreateGroup(GroupFields):
    MemberList = fields.List(fields.Nested(CreateMember))
    AppMemberDefinedData = KVList()
    EnablePermission = Flag()
    DefaultPermission = Int(validate=validate.Range(min=0))


class ImportGroup(GroupFields):
    CreateTime = Int(validate=validate.Range(min=0))


class GetAppidGroupList(Body):
    Limit = Int(validate=validate.Range(min=1))
    Next = Int(validate=validate.Range(min=0, max=2**64 - 1))
    GroupType = Enum(GROUP_TYPES + ("BChatRoom", ""))   # "" = no filter, as clients send it


class GroupInfoFilter(Body):
    GroupBaseInfoFilter = fields.List(fields.String())
    MemberInfoFilter = fields.List(fields.String())
    AppDefinedDataFilter_Group = fields.List(fields.String())
    AppDefinedDataFilter_GroupMember = fields.List(fields.String())


class GetGroupInfo(Body):
    GroupIdList = fields.List(fields.Raw(), required=True)
    ResponseFilter = fields.Nested(GroupInfoFilter)


class ModifyGroupBaseInfo(Body):
    GroupId = fields.String(required=True)
    Name = Text("Name", NAME_BYTES)
    Introduction = Text("Introduction", INTRODUCTION_BYTES)
    Notification = Text("Notification", NOTIFICATION_BYTES)
    FaceUrl = Text("FaceUrl", FACEURL_BYTES)
    MaxMemberNum = Int(validate=validate.Range(min=1))
    ApplyJoinOption = Enum(APPLY_JOIN)
    InviteJoinOption = Enum(INVITE_JOIN)
    MuteAllMember = Enum(ON_OFF)
    AppDefinedData = KVList()
    From_Account = Account()
    EnablePermission = Flag()
    DefaultPermission = Int(validate=validate.Range(min=0))
    HistoryMsgBeforeJoin = Enum(ON_OFF)


class GroupOnly(Body):
    GroupId = fields.String(required=True)


class DestroyGroup(GroupOnly):
    pass


class ChangeGroupOwner(GroupOnly):
    NewOwner_Account = Account(required=True)
    From_Account = Account()


class JoinedFilter(Body):
    GroupBaseInfoFilter = fields.List(fields.String())
    SelfInfoFilter = fields.List(fields.String())


class GetJoinedGroupList(Body):
    Member_Account = Account(required=True)
    WithHugeGroups = Flag()
    WithNoActiveGroups = Flag()
    Limit = Int(validate=validate.Range(min=0))
    Offset = Int(validate=validate.Range(min=0))
    GroupType = Enum(GROUP_TYPES + ("",))   # "" = no filter
    ResponseFilter = fields.Nested(JoinedFilter)
    SupportTopic = Flag()


class GetRoleInGroup(GroupOnly):
    User_Account = Accounts(required=True)


class GetOnlineMemberNum(GroupOnly):
    pass


# --- group attributes -------------------------------------------------------------------------
class GroupAttr(GroupOnly):
    GroupAttr = fields.List(fields.Nested(AttrKeyValue), required=True)


class ClearGroupAttr(GroupOnly):
    pass


class GetGroupAttr(GroupOnly):
    pass


# --- members ------------------------------------------------------------------------------------
class MemberAccountItem(Body):
    Member_Account = Account(required=True)


class AddGroupMember(GroupOnly):
    Silence = Flag()
    MemberList = fields.List(fields.Nested(MemberAccountItem), required=True)


class DeleteGroupMember(GroupOnly):
    Silence = Flag()
    Reason = fields.String()
    MemberToDel_Account = Accounts(required=True)


class ModifyGroupMemberInfo(GroupOnly):
    Member_Account = Account(required=True)
    Role = Enum(("Admin", "Member"))
    MsgFlag = Enum(MSG_FLAGS)
    NameCard = Text("NameCard", NAMECARD_BYTES)
    AppMemberDefinedData = KVList()
    MuteTime = Int(validate=validate.Range(min=0, max=PERMANENT))


class GetGroupMemberInfo(GroupOnly):
    MemberInfoFilter = fields.List(fields.String())
    MemberRoleFilter = fields.List(Enum(("Owner", "Admin", "Member")))
    AppDefinedDataFilter_GroupMember = fields.List(fields.String())
    Limit = Int(validate=validate.Range(min=0))
    Offset = Int(validate=validate.Range(min=0))
    Next = fields.String()


class GetSpecifiedGroupMemberInfo(GroupOnly):
    Member_List_Account = Accounts(required=True)
    MemberInfoFilter = fields.List(fields.String())
    AppDefinedDataFilter_GroupMember = fields.List(fields.String())


class ImportMember(Body):
    Member_Account = Account(required=True)
    Role = Enum(("Admin",))           # "Currently, the only supported role is Admin" (seed 004)
    JoinTime = Int(validate=validate.Range(min=0))
    UnreadMsgNum = Int(validate=validate.Range(min=0))


class ImportGroupMember(GroupOnly):
    MemberList = fields.List(fields.Nested(ImportMember), required=True)


class SetUnreadMsgNum(GroupOnly):
    Member_Account = Account(required=True)
    UnreadMsgNum = Int(required=True, validate=validate.Range(min=0))


class ForbidSendMsg(GroupOnly):
    Members_Account = Accounts(required=True)
    MuteTime = Int(required=True, validate=validate.Range(min=0, max=PERMANENT))
    TopicId = fields.String()


class GetGroupMutedAccount(GroupOnly):
    TopicId = fields.String()


class BanGroupMember(GroupOnly):
    Members_Account = Accounts(required=True)
    Duration = Int(required=True, validate=validate.Range(min=0, max=PERMANENT))
    Description = fields.String()


class UnbanGroupMember(GroupOnly):
    Members_Account = Accounts(required=True)


class GetGroupBanMember(GroupOnly):
    Offset = Int(load_default=0, validate=validate.Range(min=0))
    Limit = Int(validate=validate.Range(min=1))


class Empty(Body):
    """Commands whose body is ``{}``."""


def schema_error(exc: ValidationError, bad_param_code: int) -> TencentError:
    """60015 for an account of the wrong JSON type; otherwise the service's bad-parameter code
    (70402 for accounts, 10004 for groups) naming the field and the reason."""
    problems = flatten_errors(exc.messages)
    for path, reason in problems:
        if reason == ACCOUNT_TYPE_ERROR:
            return TencentError(60015, f"{path}: {reason}")
    path, reason = problems[0] if problems else ("", "invalid body")
    if reason.endswith(" bytes") or not path:
        return TencentError(bad_param_code, reason)
    return TencentError(bad_param_code, f"{path}: {reason}")
