"""The ``tencent:`` section of a scenario file (and the shape of a state dump).

apps[]: sdkappid, key, admins, accounts[{UserID, Nick, FaceUrl}], groups[...] written with
Tencent's own field names, rate_limit (requests/s per API, default 200), limits (per-call
limits, defaults in models.DEFAULT_LIMITS), max_members (default MaxMemberNum by Type).
gateway: the seed-000 admin wrapper (JWT HS256 secret, users, target_sdkappid, ...).
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from emulator.core.messages import StoreSpec

from .models import APPLY_JOIN, DEFAULT_LIMITS, GROUP_TYPES, INVITE_JOIN, MSG_FLAGS, ON_OFF, ROLES, TYPE_ALIASES
from .models_users import CUSTOM_TAG


class Strict(Schema):
    class Meta:
        unknown = RAISE


def _int(**kw):
    return fields.Integer(strict=True, **kw)


class KV(Strict):
    Key = fields.String(required=True)
    Value = fields.String(required=True)


class AccountSpec(Strict):
    UserID = fields.String(required=True, validate=validate.Length(min=1, max=32))
    Nick = fields.String()
    FaceUrl = fields.String()


class MemberSpec(Strict):
    Member_Account = fields.String(required=True)
    Role = fields.String(validate=validate.OneOf(ROLES))
    JoinTime = _int()
    MsgFlag = fields.String(validate=validate.OneOf(MSG_FLAGS))
    NameCard = fields.String()
    UnreadMsgNum = _int(validate=validate.Range(min=0))
    LastSendMsgTime = _int()
    MsgSeq = _int()
    AppMemberDefinedData = fields.List(fields.Nested(KV))


class MutedSpec(Strict):
    Member_Account = fields.String(required=True)
    MutedUntil = _int(required=True)


class BannedSpec(Strict):
    Member_Account = fields.String(required=True)
    BannedUntil = _int(required=True)


class AttrSpec(Strict):
    key = fields.String(required=True)
    value = fields.String(required=True)


class GroupSpec(Strict):
    GroupId = fields.String(required=True, validate=validate.Length(min=1))
    Type = fields.String(required=True, validate=validate.OneOf(GROUP_TYPES + tuple(TYPE_ALIASES)))
    Name = fields.String(required=True)
    Owner_Account = fields.String()
    CreateTime = _int(validate=validate.Range(min=0))
    MaxMemberNum = _int(validate=validate.Range(min=0))
    Introduction = fields.String()
    Notification = fields.String()
    FaceUrl = fields.String()
    InfoSeq = _int()
    LastInfoTime = _int()
    LastMsgTime = _int()
    NextMsgSeq = _int(validate=validate.Range(min=1))
    ApplyJoinOption = fields.String(validate=validate.OneOf(APPLY_JOIN))
    InviteJoinOption = fields.String(validate=validate.OneOf(INVITE_JOIN))
    MuteAllMember = fields.String(validate=validate.OneOf(ON_OFF))
    HistoryMsgBeforeJoin = fields.String(validate=validate.OneOf(ON_OFF))
    SupportTopic = _int(validate=validate.OneOf((0, 1)))
    EnablePermission = _int(validate=validate.OneOf((0, 1)))
    DefaultPermission = _int()
    AppDefinedData = fields.List(fields.Nested(KV))
    MemberList = fields.List(fields.Nested(MemberSpec))
    MutedAccountList = fields.List(fields.Nested(MutedSpec))
    BannedAccountList = fields.List(fields.Nested(BannedSpec))
    GroupAttr = fields.List(fields.Nested(AttrSpec))
    Seq = _int(validate=validate.Range(min=1))


class MessageSettingsSpec(Strict):
    """What the reference leaves UNKNOWN about messages (models.DEFAULT_MESSAGE_SETTINGS)."""

    max_msg_bytes = _int(validate=validate.Range(min=1))
    group_non_member_send = fields.String(validate=validate.OneOf(("reject", "accept")))
    mute_all_blocks = fields.String(validate=validate.OneOf(("members", "everyone", "nobody")))
    avchatroom_history_code = _int(validate=validate.OneOf((10007, 10044)))
    group_msg_per_second = _int(validate=validate.Range(min=0))

class ProfileTag(Strict):
    Tag = fields.String(required=True)
    Value = fields.Raw(required=True)     # type checked per tag by models_users.check_value


class ProfileSpec(Strict):
    UserID = fields.String(required=True)
    ProfileItem = fields.List(fields.Nested(ProfileTag), load_default=list)


class KickSpec(Strict):
    UserID = fields.String(required=True)
    KickTime = _int(required=True, validate=validate.Range(min=0))


class AppSpec(Strict):
    sdkappid = _int(required=True, validate=validate.Range(min=1, max=2**32 - 1))
    key = fields.String(required=True, validate=validate.Length(min=1))
    admins = fields.List(fields.String(validate=validate.Length(min=1, max=32)), required=True,
                         validate=validate.Length(min=1))
    accounts = fields.List(fields.Nested(AccountSpec), load_default=list)
    groups = fields.List(fields.Nested(GroupSpec), load_default=list)
    rate_limit = _int(validate=validate.Range(min=0))
    limits = fields.Dict(keys=fields.String(validate=validate.OneOf(tuple(DEFAULT_LIMITS))),
                         values=_int(validate=validate.Range(min=0)))
    max_members = fields.Dict(keys=fields.String(validate=validate.OneOf(GROUP_TYPES)),
                              values=_int(validate=validate.Range(min=0)))
    next_seq = _int(validate=validate.Range(min=1))
    message_settings = fields.Nested(MessageSettingsSpec)
    messages = fields.Nested(StoreSpec)      # core/messages.py shape: cap, conversations to seed
    # users: custom profile tags the app declares (console), seeded profiles, kick watermarks
    profile_custom = fields.List(fields.String(validate=validate.Regexp(CUSTOM_TAG)))
    profiles = fields.List(fields.Nested(ProfileSpec))
    kicked = fields.List(fields.Nested(KickSpec))
    kick_voids_same_second = fields.Boolean()


class GatewaySpec(Strict):
    """The seed-000 wrapper: tokens are HS256 JWTs signed with ``secret`` whose ``username``
    claim is one of ``users`` (any user when empty); ``verify_exp`` checks the exp claim;
    ``accept_tokens`` are tokens taken as valid without signature or expiry checks (the
    documentation's example token, signed with a secret nobody knows)."""

    secret = fields.String(required=True, validate=validate.Length(min=1))
    users = fields.List(fields.String(), load_default=list)
    target_sdkappid = _int(required=True)
    identifier = fields.String(load_default=None, allow_none=True)
    verify_exp = fields.Boolean(load_default=True)
    accept_tokens = fields.List(fields.String(), load_default=list)


class TencentSection(Strict):
    apps = fields.List(fields.Nested(AppSpec), load_default=list)
    gateway = fields.Nested(GatewaySpec, load_default=None, allow_none=True)
