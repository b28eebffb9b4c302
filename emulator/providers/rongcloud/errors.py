"""RongCloud's error codes: code -> (default message, HTTP status).

Global codes and their HTTP statuses come from the old official status table (reference 2.2);
the profile-hosting (entrust) codes 254xx come from the client SDK enum (reference 2.3) and are
answered with HTTP 200, because no source gives them another status.
"""

from __future__ import annotations

from emulator.core.errors import ProviderError

OK = 200

TABLE: dict[int, tuple[str, int]] = {
    # --- global codes (reference 2.2) ------------------------------------------------------
    404: ("Endpoint not found.", 404),
    # HTTP 405 is "group capacity exceeded" in the old table; the legacy API uses it (UNKNOWN code).
    405: ("Group capacity exceeded.", 405),
    1000: ("Internal logic error, please retry later.", 500),
    1001: ("App Key and App Secret do not match.", 401),
    1002: ("Parameter error.", 400),
    1003: ("No POST data.", 400),
    1004: ("Signature verification failed.", 401),
    1005: ("Parameter length exceeded.", 400),
    1006: ("App is locked or deleted.", 401),
    1007: ("Method call restricted.", 401),
    1008: ("The call frequency exceeds the limit.", 429),
    1009: ("Service not enabled.", 430),
    1050: ("Internal service timeout.", 504),
    1502: ("Count exceeds the limit.", 400),              # [NODE] docs/errorcode.md (no HTTP column)
    1508: ("HTTP request body too large, must be less than 100 KB.", 400),
    2007: ("Development environment user count exceeded.", 403),
    # --- hosted user profile codes (reference users 1.11: client enum, UNVERIFIED on the server) -
    24361: ("Unknown userProfile key.", 200),
    24362: ("userExtProfile key is not registered.", 200),
    24363: ("Too many userExtProfile keys.", 200),
    24364: ("Profile value too long.", 200),
    24365: ("Too many users in one batch query.", 200),
    24367: ("Profile value must be numeric.", 200),
    24368: ("Profile value out of range.", 200),
    24369: ("User profile hosting is not enabled.", 200),
    # --- profile-hosting group codes (reference 2.3) ---------------------------------------
    25402: ("Profile hosting service error.", 200),
    25403: ("Profile hosting parameter error.", 200),
    25404: ("Illegal operation.", 200),
    25405: ("No permission.", 200),
    25406: ("Parameter length exceeds the limit.", 200),
    25407: ("Parameter format error.", 200),
    25408: ("Parameter value can only be numbers.", 200),
    25409: ("Group ID already exists.", 200),
    25410: ("Group ID does not exist.", 200),
    25411: ("Group member count exceeds the limit.", 200),
    25412: ("Member already in group.", 200),
    25413: ("Operation not allowed via SDK.", 200),
    25414: ("Group does not allow joining.", 200),
    25415: ("Group extension key does not exist.", 200),
    25416: ("Request frequency exceeded.", 200),
    25417: ("Group owner cannot quit or be kicked.", 200),
    25418: ("User is not in the group.", 200),
    25419: ("Manager or follow count exceeds the limit.", 200),
    25420: ("User is not a manager of the group.", 200),
    25421: ("Application does not exist.", 200),
    25422: ("Too many groups queried.", 200),
    25423: ("Group name is invalid.", 200),
    25424: ("Joining the group needs manager approval.", 200),
    25425: ("Group owner cannot be a manager.", 200),
    25426: ("No invite permission.", 200),
    25427: ("Invitee must accept.", 200),
    25428: ("Application already handled.", 200),
    25429: ("Legacy group must be imported into profile hosting first.", 200),
    25430: ("Group ID contains illegal characters.", 200),
    25432: ("Page token parsing failed.", 200),
}


class RongCloudError(ProviderError):
    """Rendered as ``{"code": N, "errorMessage": "..."}`` with the table's HTTP status."""

    table = TABLE
    default_status = 200
