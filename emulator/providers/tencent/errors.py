"""Tencent Cloud Chat error codes (reference tencent.md §1.4, §1.5, §3.2).

Every REST answer is HTTP 200 (§1.3); the code and a short English ErrorInfo go in the body.
The texts are the emulator's own short English reasons, in the style of the real ones
("invalid owner id"); handlers pass a more specific message when they have one.
"""

from __future__ import annotations

from emulator.core.errors import ProviderError


class TencentError(ProviderError):
    table = {
        # gateway / envelope (§1.4)
        60002: ("HTTP parse error, check the request URL format", 200),
        60003: ("HTTP request json parse error", 200),
        60007: ("REST API call frequency over the limit", 200),
        60009: ("request resource error, check the request URL", 200),
        60010: ("the identifier must be an app admin account", 200),
        60012: ("sdkappid is required in the request URL", 200),
        60015: ("account type is wrong, accounts must be strings", 200),
        60017: ("request disabled", 200),   # also: a real command im-emulator does not emulate
        # accounts and UserSig (§1.5)
        70001: ("UserSig expired", 200),
        70002: ("UserSig is empty", 200),
        70003: ("UserSig invalid, decode failed", 200),
        70009: ("UserSig verification failed", 200),
        70013: ("identifier does not match the UserSig", 200),
        70014: ("sdkappid does not match the UserSig", 200),
        70020: ("sdkappid not found", 200),
        70107: ("account not imported", 200),
        70206: ("invalid batch quantity", 200),
        70402: ("invalid parameter", 200),
        70500: ("internal server error", 200),
        70403: ("app admin permission required", 200),
        # profile service (users §9.6, [err25]); 40001/40003 texts are the real ErrorInfo
        40001: ("Err_Profile_Comm_Decode_Fail", 200),
        40002: ("no account given", 200),
        40003: ("Err_Profile_Invalid_Account", 200),
        40004: ("app admin permission required", 200),
        40006: ("internal server error", 200),
        40007: ("no read permission for the tag", 200),
        40008: ("no write permission for the tag", 200),
        40009: ("tag does not exist", 200),
        40601: ("value exceeds 500 bytes", 200),
        40605: ("invalid value for a standard field", 200),
        40610: ("wrong value type for the tag", 200),
        # openim service: online status (users §9.5, old querystate page)
        90001: ("Fail to Parse json data of body, Please check it", 200),
        90003: ("To_Account must be strings", 200),
        90009: ("app admin permission required", 200),
        90011: ("too many accounts in the request", 200),
        90994: ("internal server error", 200),
        # group service (§3.2)
        10002: ("internal server error, retry", 200),
        10003: ("invalid command", 200),
        10004: ("invalid parameter", 200),
        10005: ("too many accounts in the request", 200),
        10006: ("operation frequency limit", 200),
        10007: ("no permission for this operation", 200),
        10009: ("the group owner cannot quit the group", 200),
        10010: ("group does not exist or has been dismissed", 200),
        10014: ("group is full", 200),
        10015: ("invalid group id", 200),
        10019: ("account not imported", 200),
        10021: ("group id already in use", 200),
        10025: ("group id already in use and you are the owner", 200),
        10050: ("group attribute key does not exist", 200),
        # third-party callbacks (tencent-messages-users-callbacks.md §13.4)
        10016: ("the app server refused the operation in its before-callback", 200),
        20006: ("the app server refused the message in its before-callback", 200),
        80003: ("the before-callback failed or timed out and the app is set not to deliver", 200),
        # group messages (tencent-messages-users-callbacks.md §12)
        10017: ("the sender is muted in this group", 200),
        10023: ("too many messages in this group, slow down", 200),
        10030: ("the message does not exist", 200),
        10044: ("this group type does not support roaming messages", 200),
        10053: ("too many @ in the message", 200),
        # message bodies (§10.7, §11)
        80001: ("the text hit the sensitive-word filter", 200),
        80002: ("the message is too long", 200),
        # one-to-one messages, v4/openim (§10.7); 90001, 90003, 90011 and 90994 are shared with
        # the online-status entries above (one text per code)
        20023: ("the message has already been recalled", 200),
        90002: ("MsgBody is malformed or not an array", 200),
        90005: ("MsgRandom is missing or not an integer", 200),
        90006: ("MsgTimeStamp is missing or not an integer", 200),
        90007: ("MsgBody is not an array", 200),
        90008: ("From_Account is missing or does not exist", 200),
        90010: ("the message body does not match the message format", 200),
        90012: ("To_Account is not imported", 200),
        90026: ("MsgLifeTime is invalid (at most 7 days)", 200),
        90028: ("To_Account is not an array", 200),
        90029: ("To_Account is empty", 200),
        90030: ("SyncFromOldSystem is invalid", 200),
        90031: ("SyncOtherMachine is not an integer", 200),
        90043: ("OfflinePushInfo is malformed", 200),
        90044: ("MsgLifeTime is not an integer", 200),
        90054: ("MsgKey is invalid", 200),
        90055: ("the batch message body is over 12 KB", 200),
    }


class GatewayError(ProviderError):
    """The seed-000 admin wrapper's own codes ({code, message, result, success, timestamp})."""

    table = {
        400: ("invalid request body", 200),
        401: ("token invalid, please log in again", 200),
        500: ("operation failed", 200),
    }
