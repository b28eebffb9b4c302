"""Request bodies of the users commands: kick, query_online_status (querystate), portrait_set,
portrait_get (reference tencent-messages-users-callbacks.md §9.4-§9.6).

Presence of the account fields is checked by the rules (models_users.py), which give the
service's own "no account given" code (40002, 70402, 90001) rather than the schema's generic one.
"""

from __future__ import annotations

from marshmallow import fields

from .schemas import Account, Accounts, Body, Flag


class Kick(Body):
    UserID = Account()          # legacy ``Identifier`` is renamed to it first (legacy.py)


class QueryOnlineStatus(Body):
    To_Account = fields.List(fields.Raw())   # non-strings: 90003 from the rules (§9.5)
    IsNeedDetail = Flag()
    IsReturnInstid = Flag()                  # accepted; the answer's Instid fields are UNKNOWN
    IsReturnCustomStatus = Flag()            # accepted; custom status is not emulated


class ProfileItem(Body):
    Tag = fields.String(required=True)
    Value = fields.Raw(required=True, allow_none=False)   # type checked per tag (40610)


class PortraitSet(Body):
    From_Account = Account()
    ProfileItem = fields.List(fields.Nested(ProfileItem))


class PortraitGet(Body):
    To_Account = Accounts()
    TagList = fields.List(fields.String())
