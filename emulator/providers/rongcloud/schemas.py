"""Form fields shared by every RongCloud request schema.

The parsed body is ``{name: [values...]}`` (form-urlencoded, keys may repeat). A field's error
message carries the RongCloud code to answer, as ``"<code>|<text>"``; the provider turns the first
failing field (in declaration order) into that error. Errors without a code are 1002.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from marshmallow import EXCLUDE, Schema, ValidationError, fields

# Limits shared by the entrust API ([DOC-EN] create-group, reference 4.15).
ID_MAX = 64             # groupId, owner, userIds, name
INTRODUCTION_MAX = 512
ANNOUNCEMENT_MAX = 1024
PORTRAIT_URL_MAX = 128
EXT_KEY_MAX = 32
EXT_VALUE_MAX = 256
EXT_PREFIX = "ext_"
NICKNAME_MAX = 64
EXTRA_MAX = 128
REMARK_NAME_MAX = 64
# Limits a handler checks too: here, so the handlers import no request schema module at start
PROFILE_QUERY_GROUP_IDS_MAX = 50  # [DOC-EN] query-group-profiles
PROFILE_PAGE_DEFAULT = 20         # users: the paginated user list's default page size

ENTRUST_GROUP_ID = re.compile(r"[A-Za-z0-9]+")  # "alphanumeric combinations" ([DOC-EN] create)


def coded(code: int, text: str) -> ValidationError:
    return ValidationError(f"{code}|{text}")


def last(value: Any) -> Any:
    return value[-1] if isinstance(value, list) and value else value


class Text(fields.Field):
    """One form value (the last when repeated): ``max_len`` answered with ``len_code``; an empty
    value is treated as absent unless ``empty_code`` names the code for it."""

    def __init__(self, *, max_len: int | None = None, len_code: int = 1005, empty_code: int | None = None,
                 pattern: re.Pattern | None = None, pattern_code: int = 1002, **kw) -> None:
        super().__init__(**kw)
        self.max_len, self.len_code, self.empty_code = max_len, len_code, empty_code
        self.pattern, self.pattern_code = pattern, pattern_code

    def _deserialize(self, value, attr, data, **kw):
        v = last(value)
        if not isinstance(v, str):
            raise coded(1002, f"{attr} must be a string.")
        if v == "":
            if self.empty_code is not None:
                raise coded(self.empty_code, f"{attr} must not be empty.")
            if self.required:
                raise coded(1002, f"{attr} is required.")
            return None
        if self.max_len is not None and len(v) > self.max_len:
            raise coded(self.len_code, f"{attr} is longer than {self.max_len} characters.")
        if self.pattern is not None and not self.pattern.fullmatch(v):
            raise coded(self.pattern_code, f"{attr} contains illegal characters.")
        return v


class Num(fields.Field):
    """An integer form value within [lo, hi]; anything else is ``code``."""

    def __init__(self, lo: int, hi: int, *, code: int = 1002, **kw) -> None:
        super().__init__(**kw)
        self.lo, self.hi, self.code = lo, hi, code

    def _deserialize(self, value, attr, data, **kw):
        v = last(value)
        if v == "" or v is None:
            if self.required:
                raise coded(1002, f"{attr} is required.")
            return self.load_default
        try:
            n = int(v)
        except (TypeError, ValueError):
            raise coded(self.code, f"{attr} must be an integer.") from None
        if not self.lo <= n <= self.hi:
            raise coded(self.code, f"{attr} must be between {self.lo} and {self.hi}.")
        return n


class Ids(fields.Field):
    """An array parameter: repeated keys and/or comma-joined values (reference 3), de-duplicated
    in order. At most ``max_count`` ids (``count_code``), each at most ``item_max`` characters."""

    def __init__(self, *, max_count: int | None = None, count_code: int = 1002, item_max: int = ID_MAX,
                 len_code: int = 1005, **kw) -> None:
        super().__init__(**kw)
        self.max_count, self.count_code = max_count, count_code
        self.item_max, self.len_code = item_max, len_code

    def _deserialize(self, value, attr, data, **kw):
        values = value if isinstance(value, list) else [value]
        out: dict[str, None] = {}
        for v in values:
            if not isinstance(v, str):
                raise coded(1002, f"{attr} must be strings.")
            for item in v.split(","):
                item = item.strip()
                if item:
                    out[item] = None
        if not out:
            if self.required:
                raise coded(1002, f"{attr} is required.")
            return []
        if self.max_count is not None and len(out) > self.max_count:
            raise coded(self.count_code, f"{attr} holds more than {self.max_count} ids.")
        for item in out:
            if len(item) > self.item_max:
                raise coded(self.len_code, f"{attr} item {item[:16]!r}... is longer than {self.item_max}.")
        return list(out)


class JsonObject(fields.Field):
    """A parameter whose value is a JSON object (groupProfile, permissions, groupExtProfile);
    anything that is not valid JSON, or not an object, is 1002."""

    def _deserialize(self, value, attr, data, **kw):
        v = last(value)
        if v == "" or v is None:
            return None
        try:
            obj = orjson.loads(v)
        except (orjson.JSONDecodeError, TypeError):
            raise coded(1002, f"{attr} is not valid JSON.") from None
        if not isinstance(obj, dict):
            raise coded(1002, f"{attr} must be a JSON object.")
        return obj


class FormSchema(Schema):
    """Unknown parameters are ignored, as the real service ignores e.g. the legacy notify ones."""

    class Meta:
        unknown = EXCLUDE


def required_text(**kw) -> Text:
    return Text(required=True, **kw)


def optional_text(**kw) -> Text:
    return Text(load_default=None, **kw)
