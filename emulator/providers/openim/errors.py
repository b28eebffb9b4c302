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
        1402: ("MutedInGroup", 200),
        1403: ("MutedGroup", 200),
        1404: ("MsgAlreadyRevoke", 200),
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


# --- errDlt/errMsg that depend on the tenant's tools version (setting error_format) -----------
# An error carries a ``kind``; render_detail turns it into the texts of v3.8.3 (tools alpha.67)
# or v3.8.3-patch.16 (alpha.113) (reference openim-versions.md 1.1, 1.3, 2.3, 5.4).
CHECK, MONGO, WRAP, JWT, DUP_KEY, PANIC = "check", "mongo", "wrap", "jwt", "dupkey", "panic"
PANIC_CODE = 2          # gRPC Unknown: patch.16's recovered panic bypasses the status conversion
MONGO_FIND_ONE = "mongo find one"        # mongoutil.FindOne's wrapper text
MONGO_NO_DOCUMENTS = "mongo: no documents in result"
OpenIMError.table[PANIC_CODE] = ("", 200)


def check(text: str) -> OpenIMError:
    """A request Check() failure in the API process: errDlt is the text in patch.16, "" in v3.8.3
    (1.1). The same Check failing in the RPC process (a ``[]`` list, 1.4) is ``args(text)``."""
    return OpenIMError(ARGS, detail=text, kind=CHECK)


def mongo_not_found() -> OpenIMError:
    """A Mongo ErrNoDocuments mapped to 1004 (FindOne / TakeGroup / TakeGroupMember ...)."""
    return OpenIMError(RECORD_NOT_FOUND, kind=MONGO)


def wrapped(code: int) -> OpenIMError:
    """``Code.Wrap()`` with no text: the RPC interceptor copies errMsg into errDlt (1.3)."""
    return OpenIMError(code, kind=WRAP)


def duplicate_member(gid: str, uid: str) -> OpenIMError:
    """The unique (group_id, user_id) index refusing an insert (5.4)."""
    return OpenIMError(INTERNAL, kind=DUP_KEY, gid=gid, uid=uid)


def panic(text: str) -> OpenIMError:
    """A Go runtime panic in an RPC handler (1.3)."""
    return OpenIMError(INTERNAL, kind=PANIC, text=text)


def render_texts(err: OpenIMError, error_format: str) -> tuple[int, str, str]:
    """(errCode, errMsg, errDlt) of ``err`` as the given version prints it."""
    kind = err.extra.get("kind")
    code, msg, dlt = err.code, err.message, err.detail
    old = error_format == "v3.8.3"
    if kind == CHECK:
        return code, msg, "" if old else dlt
    if kind == MONGO:
        return code, msg, MONGO_FIND_ONE if old else f"{MONGO_NO_DOCUMENTS} {MONGO_FIND_ONE}"
    if kind == WRAP:
        return code, msg, msg
    if kind == JWT:
        text = f"jwt parse error, token={err.extra['token']}"
        return code, msg, text if old else f"{code} {msg} {text}"
    if kind == DUP_KEY:
        if old:
            return code, "mongo insert many", "mongo insert many"
        text = ("bulk write exception: write errors: [E11000 duplicate key error collection: "
                "openim_v3.group_member index: group_id_1_user_id_1 dup key: "
                f'{{ group_id: "{err.extra["gid"]}", user_id: "{err.extra["uid"]}" }}] mongo insert many')
        return code, text, text
    if kind == PANIC:
        if old:     # the RPC process crashes (INFERRED); the emulator answers a plain 500
            return code, msg, ""
        return PANIC_CODE, f"Error: 500 panic error {err.extra['text']}", ""
    return code, msg, dlt
