"""OpenIM error codes (reference openim.md section 3; servererrs/code.go, tools errs/predefine.go).

Every error is HTTP 200 with {errCode, errMsg, errDlt}; only the rate limiter (429) and an unknown
path (404) change the HTTP status.
"""

from __future__ import annotations

from emulator.core.errors import ProviderError

ARGS = 1001
NO_PERMISSION = 1002
RECORD_NOT_FOUND = 1004
USER_ID_NOT_FOUND = 1101
REGISTERED_ALREADY = 1102
GROUP_ID_NOT_FOUND = 1201
GROUP_ID_EXISTED = 1202
DISMISSED_ALREADY = 1204
GROUP_REQUEST_HANDLED = 1206
TOKEN_EXPIRED = 1501
TOKEN_MALFORMED = 1503
TOKEN_NOT_VALID_YET = 1504
TOKEN_UNKNOWN = 1505
TOKEN_KICKED = 1506
TOKEN_NOT_EXIST = 1507
INTERNAL = 500
DATA_ERROR = 90007
TOO_MANY_REQUESTS = 429
NOT_FOUND = 404


class OpenIMError(ProviderError):
    table = {
        INTERNAL: ("ServerInternalError", 200),
        NOT_FOUND: ("404 page not found", 404),
        TOO_MANY_REQUESTS: ("too many requests, please try again later", 429),
        ARGS: ("ArgsError", 200),
        NO_PERMISSION: ("NoPermissionError", 200),
        1003: ("DuplicateKeyError", 200),
        RECORD_NOT_FOUND: ("RecordNotFoundError", 200),
        USER_ID_NOT_FOUND: ("UserIDNotFoundError", 200),
        REGISTERED_ALREADY: ("RegisteredAlreadyError", 200),
        GROUP_ID_NOT_FOUND: ("GroupIDNotFoundError", 200),
        GROUP_ID_EXISTED: ("GroupIDExisted", 200),
        1203: ("NotInGroupYetError", 200),
        DISMISSED_ALREADY: ("DismissedAlreadyError", 200),
        1205: ("", 200),
        GROUP_REQUEST_HANDLED: ("GroupRequestHandled", 200),
        TOKEN_EXPIRED: ("TokenExpiredError", 200),
        1502: ("TokenInvalidError", 200),
        TOKEN_MALFORMED: ("TokenMalformedError", 200),
        TOKEN_NOT_VALID_YET: ("TokenNotValidYetError", 200),
        TOKEN_UNKNOWN: ("TokenUnknownError", 200),
        TOKEN_KICKED: ("TokenKickedError", 200),
        TOKEN_NOT_EXIST: ("TokenNotExistError", 200),
        90002: ("DatabaseError", 200),
        90004: ("NetworkError", 200),
        DATA_ERROR: ("DataError", 200),
    }


def wrap_msg(text: str, *kv) -> str:
    """errDlt as tools' WrapMsg builds it: "text, k1=v1, k2=v2"; an odd last key gets MISSING."""
    parts = [text]
    for i in range(0, len(kv), 2):
        value = kv[i + 1] if i + 1 < len(kv) else "MISSING"
        parts.append(f"{go_fmt(kv[i])}={go_fmt(value)}")
    return ", ".join(parts)


def go_fmt(value) -> str:
    """Go's %v for the values the server passes to WrapMsg (strings, ints, string slices)."""
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_fmt(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def args(detail: str = "") -> OpenIMError:
    return OpenIMError(ARGS, detail=detail)


def no_permission(detail: str = "") -> OpenIMError:
    return OpenIMError(NO_PERMISSION, detail=detail)


def not_found(detail: str = "") -> OpenIMError:
    return OpenIMError(RECORD_NOT_FOUND, detail=detail)
