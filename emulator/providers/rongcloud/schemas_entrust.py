"""Request bodies of the 23 profile-hosting (entrust) group APIs (reference 4).

Length errors answer 25406 (RC_GROUP_PARAMETER_LENGTH_EXCEED_LIMIT), a bad group id 25430, an
empty name 25423; missing parameters and per-call counts answer the generic 1002.
"""

from __future__ import annotations

from .schemas import ENTRUST_GROUP_ID, EXTRA_MAX, ID_MAX, NICKNAME_MAX, PROFILE_QUERY_GROUP_IDS_MAX, \
    REMARK_NAME_MAX, FormSchema, Ids, JsonObject, Num, Text

CREATE_USER_IDS_MAX = 30        # [DOC-EN] create-group
BATCH_USER_IDS_MAX = 100        # join, quit, kick, specific query, follow ([DOC-EN])
MANAGER_REMOVE_MAX = 10         # [DOC-EN] remove-group-manager
MEMBER_PAGE_MAX = 100           # [DOC-EN] query-group-member
JOINED_PAGE_MAX = 100           # [DOC-EN] query-member-join-group
GROUP_PAGE_MAX = 1000           # [DOC-EN] query-app-all-group
PAGE_SIZE_DEFAULT = 50
ORDER_DESC = 1                  # default order of every paged query


def group_id(**kw):
    return Text(required=True, max_len=ID_MAX, len_code=25406, pattern=ENTRUST_GROUP_ID,
                pattern_code=25430, **kw)


def user_id(**kw):
    return Text(required=True, max_len=ID_MAX, len_code=25406, **kw)


def flag(default: int):
    return Num(0, 1, load_default=default)


class GroupIdSchema(FormSchema):
    groupId = group_id()


class ImportSchema(FormSchema):
    """groupId/name/owner <= 64 characters; JSON profile, permissions and ext profile."""
    groupId = group_id()
    name = Text(required=True, max_len=ID_MAX, len_code=25406, empty_code=25423)
    owner = user_id()
    groupProfile = JsonObject(load_default=None)
    permissions = JsonObject(load_default=None)
    groupExtProfile = JsonObject(load_default=None)


class CreateSchema(ImportSchema):
    """Import's fields plus userIds, at most 30 per request."""
    userIds = Ids(max_count=CREATE_USER_IDS_MAX, item_max=ID_MAX, len_code=25406, load_default=list)


class ProfileUpdateSchema(FormSchema):
    groupId = group_id()
    name = Text(load_default=None, max_len=ID_MAX, len_code=25406)  # the Java SDK sends it top-level
    groupProfile = JsonObject(load_default=None)
    permissions = JsonObject(load_default=None)
    groupExtProfile = JsonObject(load_default=None)


class ProfileQuerySchema(FormSchema):
    """groupIds <= 50 (25422); the doc's example spells it groupId, so both are read."""
    groupIds = Ids(load_default=list, max_count=PROFILE_QUERY_GROUP_IDS_MAX, count_code=25422,
                   item_max=ID_MAX, len_code=25406)
    groupId = Ids(load_default=list, max_count=PROFILE_QUERY_GROUP_IDS_MAX, count_code=25422,
                  item_max=ID_MAX, len_code=25406)


class QuitSchema(FormSchema):
    """quit and member/kick: userIds <= 100; isDelBan/isDelWhite/isDelFollowed default 1."""
    groupId = group_id()
    userIds = Ids(required=True, max_count=BATCH_USER_IDS_MAX, item_max=ID_MAX, len_code=25406)
    isDelBan = flag(1)
    isDelWhite = flag(1)
    isDelFollowed = flag(1)


class UserIdSchema(FormSchema):
    userId = user_id()


class JoinSchema(FormSchema):
    groupId = group_id()
    userIds = Ids(required=True, max_count=BATCH_USER_IDS_MAX, item_max=ID_MAX, len_code=25406)


class TransferSchema(FormSchema):
    """isQuit 0 (default) keeps the old owner as a member; the isDel* flags apply when it leaves."""
    groupId = group_id()
    newOwner = user_id()
    isQuit = flag(0)
    isDelBan = flag(1)
    isDelWhite = flag(1)
    isDelFollowed = flag(1)


class ManagerAddSchema(FormSchema):
    groupId = group_id()
    userIds = Ids(required=True, max_count=BATCH_USER_IDS_MAX, item_max=ID_MAX, len_code=25406)


class ManagerRemoveSchema(FormSchema):
    """At most 10 per request ([DOC-EN] remove-group-manager)."""
    groupId = group_id()
    userIds = Ids(required=True, max_count=MANAGER_REMOVE_MAX, item_max=ID_MAX, len_code=25406)


class MemberQuerySchema(FormSchema):
    """type 0 all / 1 regular / 2 managers / 3 owner; size <= 100; order 1 (join time desc)."""
    groupId = group_id()
    type = Num(0, 3, load_default=0)
    pageToken = Text(load_default=None)
    size = Num(1, MEMBER_PAGE_MAX, load_default=PAGE_SIZE_DEFAULT)
    order = Num(0, 1, load_default=ORDER_DESC)


class MemberSpecificQuerySchema(FormSchema):
    groupId = group_id()
    userIds = Ids(required=True, max_count=BATCH_USER_IDS_MAX, item_max=ID_MAX, len_code=25406)


class MemberSetSchema(FormSchema):
    """nickname required, <= 64; extra <= 128 ([DOC-EN] update-group-member-info)."""
    groupId = group_id()
    userId = user_id()
    nickname = Text(required=True, max_len=NICKNAME_MAX, len_code=25406)
    extra = Text(load_default=None, max_len=EXTRA_MAX, len_code=25406)


class GroupUserSchema(FormSchema):
    groupId = group_id()
    userId = user_id()


class RemarkNameSetSchema(FormSchema):
    """remarkName required, <= 64, overwrites."""
    groupId = group_id()
    userId = user_id()
    remarkName = Text(required=True, max_len=REMARK_NAME_MAX, len_code=25406)


class FollowSchema(FormSchema):
    """followUserIds <= 100 per request."""
    groupId = group_id()
    userId = user_id()
    followUserIds = Ids(required=True, max_count=BATCH_USER_IDS_MAX, item_max=ID_MAX, len_code=25406)


class GroupQuerySchema(FormSchema):
    """size <= 1000, order 1 (creation time desc) by default."""
    pageToken = Text(load_default=None)
    size = Num(1, GROUP_PAGE_MAX, load_default=PAGE_SIZE_DEFAULT)
    order = Num(0, 1, load_default=ORDER_DESC)


class JoinedGroupQuerySchema(FormSchema):
    """role 0 all / 1 member / 2 manager / 3 owner (UNVERIFIED mapping); size <= 100."""
    userId = user_id()
    role = Num(0, 3, load_default=0)
    pageToken = Text(load_default=None)
    size = Num(1, JOINED_PAGE_MAX, load_default=PAGE_SIZE_DEFAULT)
    order = Num(0, 1, load_default=ORDER_DESC)
