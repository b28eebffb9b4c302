"""Request bodies of the user APIs (reference users 1.1-1.11).

Which code a bad userId gets is UNKNOWN (reference users 1.1 suggests 1002): 1002 for every user
id; over-long names and portraits are 1005 (parameter length exceeded, reference 2.2); counts over
a per-call limit are 1002, except the hosted-profile batch query (24365).
"""

from __future__ import annotations

import re

from .schemas import PROFILE_PAGE_DEFAULT, FormSchema, Ids, JsonObject, Num, Text, coded, last  # noqa: F401

USER_ID_MAX = 64            # bytes ([DOC-EN] register)
USER_ID = re.compile(r"[A-Za-z0-9+=_\-]+")  # letters, digits and + = - _ ([DOC-V4] register)
NAME_MAX_CHARS = 64         # [DOC-EN] register / modify
NAME_MAX_BYTES = 128        # [DOC-V4] and [PY3]: a name within either limit is accepted
PORTRAIT_MAX_BYTES = 1024   # [DOC-EN] register
TOKEN_EXPIRE_IDS_MAX = 20   # [DOC-CN] user/expire
BLOCK_IDS_MAX = 20          # [DOC-EN] user/block, unblock
BLOCK_MINUTE_MAX = 43200    # 30 days; permanent bans are not supported ([DOC-EN] user/block)
BLOCK_PAGE_SIZE_DEFAULT = 50
DEACTIVATE_IDS_MAX = 100    # comma-joined ([GO] UserDeactivate; [DOC-EN] reactivate)
DEACTIVATED_PAGE_MAX = 50   # [DOC-EN] query-deactivated-list
BLACKLIST_IDS_MAX = 20      # per call ([DOC-EN] blacklist add/remove)
BLACKLIST_PAGE_MAX = 1000   # default and max ([DOC-EN] query-blacklist)
WHITELIST_IDS_MAX = 20      # per call ([DOC-EN] add-to-whitelist)
PROFILE_BATCH_MAX = 100     # [DOC-EN] query-user-profiles-by-batch ([NEXCONN] says 20)
PROFILE_CLEAN_MAX = 100     # UNKNOWN (no doc page seen); the batch query's limit
PROFILE_PAGE_MAX = 100      # [DOC-EN] query-paginated-user-list
LONG_MAX = 2 ** 63 - 1


class Bytes(Text):
    """A value limited in UTF-8 bytes (and, with max_chars, accepted when within either limit)."""

    def __init__(self, *, max_bytes: int, max_chars: int | None = None, **kw) -> None:
        super().__init__(**kw)
        self.max_bytes, self.max_chars = max_bytes, max_chars

    def _deserialize(self, value, attr, data, **kw):
        v = super()._deserialize(value, attr, data, **kw)
        if v is None:
            return None
        size = len(v.encode("utf-8"))
        if size > self.max_bytes and (self.max_chars is None or len(v) > self.max_chars):
            limit = f"{self.max_bytes} bytes" + (f" and {self.max_chars} characters" if self.max_chars else "")
            raise coded(self.len_code, f"{attr} is longer than {limit}.")
        return v


def user_id(pattern: bool = False) -> Text:
    return Bytes(required=True, max_bytes=USER_ID_MAX, len_code=1002,
                 pattern=USER_ID if pattern else None, pattern_code=1002)


def user_ids(max_count: int, count_code: int = 1002) -> Ids:
    return Ids(required=True, max_count=max_count, count_code=count_code, item_max=USER_ID_MAX,
               len_code=1002)


def name(required: bool) -> Bytes:
    kw = {"required": True} if required else {"load_default": None}
    return Bytes(max_bytes=NAME_MAX_BYTES, max_chars=NAME_MAX_CHARS, **kw)


def portrait() -> Bytes:
    return Bytes(max_bytes=PORTRAIT_MAX_BYTES, load_default=None)


class GetTokenSchema(FormSchema):
    """userId (<= 64 bytes, letters, digits, + = - _), name (required), portraitUri (optional)."""
    userId = user_id(pattern=True)
    name = name(required=True)
    portraitUri = portrait()


class TokenExpireSchema(FormSchema):
    """userId: up to 20; time: ms, tokens obtained before it stop working."""
    userId = user_ids(TOKEN_EXPIRE_IDS_MAX)
    time = Num(0, LONG_MAX, required=True)


class RefreshSchema(FormSchema):
    """Empty name / portraitUri mean "unchanged" (the Go SDK always sends both)."""
    userId = user_id()
    name = name(required=False)
    portraitUri = portrait()


class UserIdSchema(FormSchema):
    userId = user_id()


class BlockSchema(FormSchema):
    """userId: up to 20; minute: 1..43200."""
    userId = user_ids(BLOCK_IDS_MAX)
    minute = Num(1, BLOCK_MINUTE_MAX, required=True)


class UnblockSchema(FormSchema):
    userId = user_ids(BLOCK_IDS_MAX)


class BlockQuerySchema(FormSchema):
    """page 0 or absent: no paging (the first 1000); size defaults to 50."""
    page = Num(0, LONG_MAX, load_default=0)
    size = Num(1, LONG_MAX, load_default=BLOCK_PAGE_SIZE_DEFAULT)


class DeactivateSchema(FormSchema):
    """userId: up to 100, comma-joined in one value (repeated keys are accepted too)."""
    userId = user_ids(DEACTIVATE_IDS_MAX)


class DeactivateQuerySchema(FormSchema):
    pageNo = Num(1, LONG_MAX, load_default=1)
    pageSize = Num(1, DEACTIVATED_PAGE_MAX, load_default=DEACTIVATED_PAGE_MAX)


class BlacklistSchema(FormSchema):
    """userId (the owner) and blackUserId: up to 20 per call."""
    userId = user_id()
    blackUserId = user_ids(BLACKLIST_IDS_MAX)


class WhitelistSchema(FormSchema):
    """userId (the owner) and whiteUserId: up to 20 per call."""
    userId = user_id()
    whiteUserId = user_ids(WHITELIST_IDS_MAX)


class BlacklistQuerySchema(FormSchema):
    userId = user_id()
    pageToken = Text(load_default=None)
    size = Num(1, BLACKLIST_PAGE_MAX, load_default=BLACKLIST_PAGE_MAX)


class ProfileSetSchema(FormSchema):
    """userProfile and userExtProfile are JSON objects passed as strings; one of them is needed."""
    userId = user_id()
    userProfile = JsonObject(load_default=None)
    userExtProfile = JsonObject(load_default=None)


class ProfileBatchQuerySchema(FormSchema):
    """userId: up to 100 (repeated or comma-joined); more is 24365."""
    userId = user_ids(PROFILE_BATCH_MAX, count_code=24365)


class ProfileCleanSchema(FormSchema):
    """userId: comma-joined ([JAVA]) or one value ([GO])."""
    userId = user_ids(PROFILE_CLEAN_MAX)


class ProfileQuerySchema(FormSchema):
    """page (from 1), size (<= 100, default 20; the doc example's ``count`` is accepted), order
    0 oldest first (default) / 1 newest first."""
    page = Num(1, LONG_MAX, load_default=1)
    size = Num(1, PROFILE_PAGE_MAX, load_default=None)
    count = Num(1, PROFILE_PAGE_MAX, load_default=None)
    order = Num(0, 1, load_default=0)


__all__ = [n for n in dir() if n.endswith("Schema")] + ["last"]
