"""Older request field names that real clients still send, mapped onto today's names.

Tencent renamed fields over the years; its own generated SDKs and third-party libraries still
send the old names, and a backend that works against the real service must work here too
(DESIGN.md: accept older names). The provider renames them before the schema runs, so every
rule and limit of the current field applies. When a body carries both names, the current one
wins and the old one is dropped.

Sources (reference tencent.md, tencent-messages-users-callbacks.md §9.2):
- ``ShutUpTime``: TencentCloud/tencentcloud-im-sdk-java ``ForbidSendMsgRequest`` and
  ``ModifyGroupMemberInfoRequest`` (and its PHP twin) send it for ``MuteTime``.
- ``ShutUpAllMember``: the same SDK's ``ModifyGroupBaseInfoRequest`` for ``MuteAllMember``.
- ``Identifier``: account_import's original name of ``UserID`` (xjcloudy, nanziok, zishang520/tim,
  guangdatech/laravel-tencent-im); kick's too (xjcloudy, nanziok).

Response-side older names are answered where a client asks for them by name: a
``MemberInfoFilter`` (get_group_member_info) or ``SelfInfoFilter`` (get_joined_group_list) with
``ShutUpUntil`` gets ``ShutUpUntil``; a ``GroupBaseInfoFilter`` with ``ShutUpAllMember`` gets
``ShutUpAllMember``.
"""

from __future__ import annotations

# command (the Route's api) -> {older name: current name}
LEGACY_FIELDS: dict[str, dict[str, str]] = {
    "account_import": {"Identifier": "UserID"},
    "kick": {"Identifier": "UserID"},          # [xjcloudy] Kick(), [nanziok] kick() (users §9.2)
    "forbid_send_msg": {"ShutUpTime": "MuteTime"},
    "modify_group_member_info": {"ShutUpTime": "MuteTime"},
    "modify_group_base_info": {"ShutUpAllMember": "MuteAllMember"},
}

# Older names a response filter may ask for: older name -> current name (and back on output).
LEGACY_MEMBER_FIELDS = {"ShutUpUntil": "MuteUntil"}
LEGACY_GROUP_FIELDS = {"ShutUpAllMember": "MuteAllMember"}


def current_names(body, renames: dict[str, str]):
    """``body`` with older names replaced by the current ones (a copy only when one is present)."""
    if type(body) is not dict or renames.keys().isdisjoint(body):
        return body
    out = dict(body)
    for old, new in renames.items():
        if old in out:
            value = out.pop(old)
            out.setdefault(new, value)
    return out
