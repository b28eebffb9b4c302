"""Request bodies of the legacy (basic) group API (reference 5). Lengths answer 1005, anything
else malformed 1002, as the global table describes."""

from __future__ import annotations

import re

from marshmallow import fields, pre_load

from .schemas import ID_MAX, FormSchema, Ids, Num, Text, coded

LEGACY_USER_IDS_MAX = 1000   # create/join/quit: "up to 1000" ([DOC-EN] create-group, quit-group)
GROUP_NAME_MAX = 255         # [JAVA] jsonsource/group/verify.json: name 1-255
GAG_MINUTE_MAX = 43200       # [PY2]/[PY3] gag add: "max 43200 minutes"; 0 = permanent ([PY3])
REMARK_MAX = 64              # same limit as the entrust remarkName (UNKNOWN for legacy)
USER_GROUP_PAGE_MAX = 1000   # /user/group/query size ([DOC-EN] query-group-by-user)
USER_GROUP_PAGE_DEFAULT = 50

SYNC_KEY = re.compile(r"group\[(.*)\]", re.S)


def group_id():
    return Text(required=True, max_len=ID_MAX)


def user_ids(required: bool = True, max_count: int | None = LEGACY_USER_IDS_MAX):
    if required:
        return Ids(required=True, max_count=max_count)
    return Ids(load_default=list, max_count=max_count)


class MembersSchema(FormSchema):
    """create and join: userId repeated (up to 1000), groupId <= 64, groupName required."""
    userId = user_ids()
    groupId = group_id()
    groupName = Text(required=True, max_len=GROUP_NAME_MAX)


class QuitSchema(FormSchema):
    userId = user_ids()
    groupId = group_id()


class DismissSchema(FormSchema):
    """userId is the operator: any user id, not necessarily the creator."""
    userId = Text(required=True, max_len=ID_MAX)
    groupId = group_id()


class RefreshSchema(FormSchema):
    groupId = group_id()
    groupName = Text(required=True, max_len=GROUP_NAME_MAX)


class SyncSchema(FormSchema):
    """userId plus ``group[<id>]=<name>`` keys, gathered into ``group`` as [id, name] pairs."""
    userId = Text(required=True, max_len=ID_MAX)
    group = fields.Raw(load_default=list)

    @pre_load
    def _groups(self, data, **kwargs):
        pairs = []
        for key, values in data.items():
            m = SYNC_KEY.fullmatch(key)
            if m is None:
                continue
            gid, name = m.group(1), values[-1] if values else ""
            if not gid:
                raise coded(1002, "group[] needs a group id between the brackets.")
            if len(gid) > ID_MAX:
                raise coded(1005, f"group id {gid[:16]!r}... is longer than {ID_MAX}.")
            if len(name) > GROUP_NAME_MAX:
                raise coded(1005, f"group name of {gid!r} is longer than {GROUP_NAME_MAX}.")
            pairs.append((gid, name))
        out = {k: v for k, v in data.items() if SYNC_KEY.fullmatch(k) is None}
        out["group"] = pairs
        return out


class GroupIdSchema(FormSchema):
    groupId = group_id()


class UserGroupQuerySchema(FormSchema):
    """page 0 or absent: the first 5000 groups; size defaults to 50, at most 1000."""
    userId = Text(required=True, max_len=ID_MAX)
    page = Num(0, 10 ** 9, load_default=0)
    size = Num(1, USER_GROUP_PAGE_MAX, load_default=USER_GROUP_PAGE_DEFAULT)


class GagAddSchema(FormSchema):
    """minute 0..43200 (0 = permanent); without groupId, every group the user is in."""
    userId = user_ids(max_count=None)
    groupId = Text(load_default=None, max_len=ID_MAX)
    minute = Num(0, GAG_MINUTE_MAX, required=True)


class GagRollbackSchema(FormSchema):
    userId = user_ids(max_count=None)
    groupId = Text(load_default=None, max_len=ID_MAX)


class GagListSchema(FormSchema):
    groupId = Text(load_default=None, max_len=ID_MAX)


class BanAddSchema(FormSchema):
    """groupId repeated; optional whiteUserId (allowlist) and isClearBanUser ([JAVA] Ban.add)."""
    groupId = Ids(required=True)
    whiteUserId = Ids(load_default=list)
    isClearBanUser = Num(0, 1, load_default=0)


class BanRollbackSchema(FormSchema):
    groupId = Ids(required=True)
    isClearWhiteUser = Num(0, 1, load_default=0)


class BanQuerySchema(FormSchema):
    """Without groupId: every muted group ([JAVA] Ban.getList sends an empty body)."""
    groupId = Ids(load_default=list)


class WhitelistSchema(FormSchema):
    userId = user_ids(max_count=None)
    groupId = group_id()


class RemarkSetSchema(FormSchema):
    userId = Text(required=True, max_len=ID_MAX)
    groupId = group_id()
    remark = Text(required=True, max_len=REMARK_MAX)


class UserGroupSchema(FormSchema):
    userId = Text(required=True, max_len=ID_MAX)
    groupId = group_id()
