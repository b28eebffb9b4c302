"""Request bodies of the message APIs (reference users-messages-callbacks 2.1-2.10).

SDKs send every optional parameter, empty when unset (reference 0): an empty value is "not
supplied". Booleans come as true/false, True/False or 1/0.
"""

from __future__ import annotations

import re

from .schemas import FormSchema, Ids, Num, Text, coded, last
from .schemas_users import USER_ID_MAX

CONTENT_MAX_BYTES = 128 * 1024     # content <= 128 KB (every publish page)
OBJECT_NAME_MAX = 32               # objectName <= 32 characters
PRIVATE_TO_MAX = 1000              # private publish toUserId ([DOC-CN] send-private)
GROUP_TO_MAX = 3                   # group publish toGroupId ([DOC-EN] send-group)
SYSTEM_TO_MAX = 100                # system publish toUserId ([DOC-EN] system/send-private)
COUNT_MAX = 9999                   # iOS badge (-1 = unchanged)
CONVERSATION_TYPES = (1, 3, 4, 6, 10)   # recall: private, group, chatroom, system, ultra group
HISTORY_DATE = re.compile(r"\d{10}")    # YYYYMMDDHH
LONG_MAX = 2 ** 63 - 1


class Flag(Text):
    """0/1 or a boolean spelled true/false in any case; empty = the default."""

    def __init__(self, default: bool = False, **kw) -> None:
        super().__init__(load_default=default, **kw)

    def _deserialize(self, value, attr, data, **kw):
        v = last(value)
        if not isinstance(v, str):
            raise coded(1002, f"{attr} must be a string.")
        low = v.strip().lower()
        if low == "":
            return self.load_default
        if low in ("1", "true"):
            return True
        if low in ("0", "false"):
            return False
        raise coded(1002, f"{attr} must be 0/1 or true/false.")


class Content(Text):
    """The message body: a string of at most 128 KB (UTF-8 bytes)."""

    def _deserialize(self, value, attr, data, **kw):
        v = super()._deserialize(value, attr, data, **kw)
        if v is not None and len(v.encode("utf-8")) > CONTENT_MAX_BYTES:
            raise coded(1005, f"{attr} is longer than {CONTENT_MAX_BYTES} bytes.")
        return v


def ids(max_count: int, required: bool = True) -> Ids:
    kw = {"required": True} if required else {"load_default": list}
    return Ids(max_count=max_count, count_code=1002, item_max=USER_ID_MAX, len_code=1002, **kw)


class _Publish(FormSchema):
    fromUserId = Text(required=True, max_len=USER_ID_MAX, len_code=1002)
    objectName = Text(required=True, max_len=OBJECT_NAME_MAX, len_code=1005)
    content = Content(required=True)
    pushContent = Text(load_default=None)
    pushData = Text(load_default=None)
    pushExt = Text(load_default=None)
    isPersisted = Flag(True)
    isCounted = Flag(True)
    isIncludeSender = Flag(False)
    contentAvailable = Flag(False)
    disablePush = Flag(False)
    expansion = Flag(False)
    extraContent = Text(load_default=None)
    disableUpdateLastMsg = Flag(False)
    msgRandom = Num(0, LONG_MAX, load_default=None)


class PrivatePublishSchema(_Publish):
    """toUserId: up to 1000; verifyBlacklist 1 applies the recipients' blocklist/allowlist."""
    toUserId = ids(PRIVATE_TO_MAX)
    count = Num(-1, COUNT_MAX, load_default=None)
    verifyBlacklist = Flag(False)


class GroupPublishSchema(_Publish):
    """toGroupId: up to 3 (exactly 1 with toUserId: a directed message); isMentioned."""
    toGroupId = ids(GROUP_TO_MAX)
    toUserId = ids(PRIVATE_TO_MAX, required=False)
    isMentioned = Flag(False)


class SystemPublishSchema(_Publish):
    """toUserId: up to 100."""
    toUserId = ids(SYSTEM_TO_MAX)


class RecallSchema(FormSchema):
    fromUserId = Text(required=True, max_len=USER_ID_MAX, len_code=1002)
    conversationType = Num(0, 100, required=True)
    targetId = Text(required=True, max_len=USER_ID_MAX, len_code=1002)
    messageUID = Text(required=True, max_len=64, len_code=1002)
    sentTime = Num(0, LONG_MAX, load_default=None)
    isAdmin = Flag(False)
    isDelete = Flag(False)
    disablePush = Flag(False)
    extra = Text(load_default=None)
    busChannel = Text(load_default=None)
    disableUpdateLastMsg = Flag(False)


class HistorySchema(FormSchema):
    """date: YYYYMMDDHH (10 digits), the hour's log."""
    date = Text(required=True, pattern=HISTORY_DATE, pattern_code=1002)
