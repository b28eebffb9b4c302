"""OpenIM state: tenants (keyed by a non-secret id, see tenant_key), users, groups, members, join requests, tokens and
the version logs behind the incremental sync routes. Plain data, JSON round-trip exact.

Rules live in models_users.py / models_groups.py / models_sync.py / auth.py; this module holds
the records, the indexes that keep them consistent and the scenario seeding.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from emulator.core.errors import SeedError
from emulator.core.messages import MessageStore, StoreSpec
from emulator.core.presence import Presence
from emulator.providers.base import TenantBackend

# Role levels, group status and version-log states ([proto] constant/constant.go;
# [srv-p16] pkg/common/storage/model/version_log.go).
OWNER, ADMIN, ORDINARY = 100, 60, 20
SPECIAL_ROLES = (OWNER, ADMIN)               # listed before everyone else in member/group lists
STATUS_OK, STATUS_DISMISSED, STATUS_MUTED = 0, 2, 3
V_INSERT, V_DELETE, V_UPDATE = 1, 2, 3
V_GROUP_CHANGE_ID = ""                       # model.VersionGroupChangeID
V_SORT_CHANGE_ID = "____S_O_R_T_I_D____"     # model.VersionSortChangeID
FIRST_VERSION = 1                            # database.FirstVersion
APP_NOTIFICATION_ADMIN = 3   # constant.AppNotificationAdmin: the level the server gives imAdmin (3.1)

# Tenant settings: documented default + source. The values here are the v3.8.3-patch.16 profile;
# PROFILES holds what the v3.8.3 profile changes (reference openim-versions.md, the section named
# per line). A setting given in the scenario overrides its tenant's profile.
V_PATCH16, V_383 = "v3.8.3-patch.16", "v3.8.3"
VERSIONS = (V_PATCH16, V_383)
DEFAULT_VERSION = V_PATCH16
DEFAULT_SETTINGS: dict = {
    "version": DEFAULT_VERSION,
    "token_expire_days": 90,            # config/openim-rpc-auth.yml tokenPolicy.expire
    "admin_token_grace_seconds": 300,   # older admin tokens stay valid 5 min (main, cache/redis/token.go)
    "admin_tokens_stateless": True,     # both tags: admin tokens are never looked up in the store (2.1, 2.2)
    # with a store-backed profile (admin_tokens_stateless off): admin tokens minted offline
    # (`im-emulator token openim`) pass unless a newer one was issued
    "accept_minted_admin_tokens": True,
    "rate_limit": 0,                    # requests/s per api; 0 = off (api.ratelimiter.enable: false)
    # No group or member limit in the server's code (openim.md §5.2); these bound the emulator's
    # memory (README Reliability) and answer 1001 ArgsError when reached.
    "max_groups": 100000,
    "max_group_members": 10000,
    "empty_lists_null": True,           # empty repeated fields come back as null over gRPC
    "quirk_create_member_count_includes_op": True,   # create_group reply counts the op user
    "quirk_creator_user_id_from_request": True,      # creatorUserID stored verbatim from groupInfo
    "quirk_blank_group_name_silent_success": True,   # set_group_info_ex with blank groupName: ok, no change
    "quirk_member_list_keyword_swap": True,          # 12.2 patch.16: keyword/groupID swapped; off = v3.8.3 exact match
    "quirk_join_group_inviter_is_applicant": True,   # join_group applies for inviterUserID
    "quirk_invite_existing_member_500": True,        # 5.4 invite of a member: Mongo E11000 -> 500
    "quirk_users_req_list_null_user_info": True,     # get_group_users_req_application_list userInfo null
    "quirk_request_handle_fields_lost": True,        # 7.4 answered requests read back handleMsg ""...
    "quirk_join_max_seq_invalid": False,             # 0.4 / issue #3750: joins answer 1001 after adding
    "error_format": V_PATCH16,                       # 1.1, 1.3, 2.3, 5.4: errDlt/errMsg of the tools version
    "read_permission_checks": True,                  # 12.1-12.5, 13.1-13.3, 14.1: patch.16's member/admin checks
    "batch_sync_per_group": True,                    # 13.4: patch.16 runs the single-group sync per entry
    "full_ids_version_is_hash": False,               # 13.1/13.2: v3.8.3 answers version = IdHash
    "application_list_filters": True,                # 7.5/7.6: groupIDs/handleResults filters exist
    "application_lists_newest_first": True,          # 7.7: sorted by reqTime desc
    "unhandled_count_route": True,                   # 7.8/15: /group/get_group_application_unhandled_count
    "invite_by_admin_records_admin": True,           # 5.3: admin invite stores inviter/operator imAdmin
    "invite_chunk_size": 50,                         # 5.4: patch.16 inserts invitees 50 at a time; 0 = one batch
    "group_texts_trimmed": True,                     # 10.1/10.2: set_group_info_ex trims name/notification
    "update_user_info_ex_check": True,               # 3.2: protocol alpha.12's UpdateUserInfoExReq.Check
    # messages (reference openim-users-messages-webhooks.md section 2)
    "send_reply_modify": True,                       # 2.3/2.9: patch.16 protocol: send reply `modify`, pinnedConversationIDs
    "notification_send_message_field": True,         # 2.12: patch.16 honours sendMessage:false on group calls
    "revoke_former_member_by_admin": True,           # 2.8: v3.8.3 panics (INFERRED) when a group admin revokes a former member's message
    "cleared_announcement_notification": True,       # 2.12: set_group_info_ex notification "" pushes 1519 (v3.8.3: none)
}
PROFILES: dict = {
    V_PATCH16: {},
    V_383: {
        "quirk_member_list_keyword_swap": False,
        "error_format": V_383,
        "read_permission_checks": False,
        "batch_sync_per_group": False,
        "full_ids_version_is_hash": True,
        "application_list_filters": False,
        "application_lists_newest_first": False,
        "unhandled_count_route": False,
        "invite_by_admin_records_admin": False,
        "invite_chunk_size": 0,
        "group_texts_trimmed": False,
        "update_user_info_ex_check": False,
        "send_reply_modify": False,
        "notification_send_message_field": False,
        "revoke_former_member_by_admin": False,
        "cleared_announcement_notification": False,
    },
}


@dataclass(slots=True)
class Member:
    roleLevel: int
    joinTime: int
    joinSource: int = 0
    operatorUserID: str = ""
    inviterUserID: str = ""
    nickname: str = ""
    faceURL: str = ""
    ex: str = ""
    muteEndTime: int = 0


@dataclass(slots=True)
class GroupRequest:
    reqMsg: str
    reqTime: int
    joinSource: int = 0
    inviterUserID: str = ""
    ex: str = ""
    handleResult: int = 0
    handledMsg: str = ""
    handleUserID: str = ""
    handledTime: int = 0


# Version stamps above 256 are new int objects (32 bytes): a user's join log holds one per
# group, each from its own bump, so equal stamps share one object (bounded: versions < 1024).
SHARED_STAMPS_MAX = 4096
_stamps: dict = {}


def share_stamp(stamp: int) -> int:
    return _stamps.setdefault(stamp, stamp) if 0 <= stamp < SHARED_STAMPS_MAX else stamp


@dataclass(slots=True)
class VersionLog:
    """One version document (mgo/version_log.go): logs map element id -> version*4 + state."""
    id: str
    version: int = FIRST_VERSION
    logs: dict = field(default_factory=dict)


@dataclass(slots=True)
class User:
    userID: str
    nickname: str = ""
    faceURL: str = ""
    ex: str = ""
    createTime: int = 0
    appMangerLevel: int = 0
    globalRecvMsgOpt: int = 0


GROUP_FIELDS = ("groupID", "groupName", "notification", "introduction", "faceURL", "createTime",
                "ex", "status", "creatorUserID", "groupType", "needVerification", "lookMemberInfo",
                "applyMemberFriend", "notificationUpdateTime", "notificationUserID")


@dataclass(slots=True)
class Group:
    groupID: str
    groupName: str = ""
    notification: str = ""
    introduction: str = ""
    faceURL: str = ""
    createTime: int = 0
    ex: str = ""
    status: int = 0
    creatorUserID: str = ""
    groupType: int = 2
    needVerification: int = 0
    lookMemberInfo: int = 0
    applyMemberFriend: int = 0
    notificationUpdateTime: int = 0
    notificationUserID: str = ""
    members: dict = field(default_factory=dict)     # userID -> Member, join order
    requests: dict = field(default_factory=dict)    # userID -> GroupRequest
    owner: str = ""                                 # derived: the member with roleLevel 100
    # derived, never dumped: the members with roleLevel owner/admin in join order (None = to
    # rebuild), so a member page is owner + admins + the rest without ordering everyone per call
    special: list | None = field(default=None, repr=False, compare=False)

    def member_count(self) -> int:
        return len(self.members)


def tenant_key(spec: dict) -> str:
    """A tenant's name in the journal, the state dump and ``?tenant=``: its declared ``id``, else
    "openim-" + 12 hex digits of the secret's SHA-256 (stable, and not the secret itself; a weak
    secret can still be guessed from it, so declare an ``id`` when that matters)."""
    return spec.get("id") or "openim-" + hashlib.sha256(spec["secret"].encode()).hexdigest()[:12]


# Per version, the profile over the defaults (what ``Tenant.setting`` falls back to), merged
# once: a write asks several settings per request. PROFILES and DEFAULT_SETTINGS are constant.
_RESOLVED: dict = {v: {**DEFAULT_SETTINGS, **prof} for v, prof in PROFILES.items()}
# md5 state after "secret:" per tenant secret (next_digest copies it); a handful of tenants, but
# secrets come from scenarios and loads, so the map is cleared when it ever holds this many.
_DIGEST_BASES: dict = {}
_DIGEST_BASES_MAX = 1024


@dataclass
class Tenant:
    secret: str
    admins: list
    settings: dict
    id: str = ""                                      # tenant_key: never the secret
    users: dict = field(default_factory=dict)         # userID -> User, registration order
    groups: dict = field(default_factory=dict)        # groupID -> Group, creation order
    user_groups: dict = field(default_factory=dict)   # userID -> {groupID: None}, join order
    user_requests: dict = field(default_factory=dict)  # userID -> {groupID: None}, request order
    tokens: dict = field(default_factory=dict)        # token -> [userID, platformID, state, exp]
    temp_tokens: dict = field(default_factory=dict)   # token -> valid-until seconds (admin grace)
    member_versions: dict = field(default_factory=dict)  # groupID -> VersionLog
    join_versions: dict = field(default_factory=dict)    # userID -> VersionLog
    user_tokens: dict = field(default_factory=dict)   # derived: uid -> {pid: [token...]}
    # derived: the store size at which expired tokens are next swept (auth._purge, amortised)
    token_purge_at: int = field(default=1024, repr=False, compare=False)
    # derived: how many groups have status 2 (dismissed), so get_groups' total is O(1)
    dismissed_count: int = field(default=0, repr=False, compare=False)
    # derived, never dumped: userID -> the groups where it is owner/admin, join order (see Group.special)
    special_joins: dict = field(default_factory=dict, repr=False, compare=False)
    # Source of generated ids (group IDs, version-log IDs). Deterministic, and kept in the state,
    # so replaying the same requests gives the same state (tests/test_concurrency.py).
    id_seq: int = 0
    messages: MessageStore = field(default_factory=MessageStore)   # models_messages.py
    # "userID\x00conversationID" -> the seq a user who left a group still sees up to (2.11)
    msg_caps: dict = field(default_factory=dict)
    # "userID\x00conversationID" (or "\x00conversationID" for everyone) -> the first seq still
    # visible after clear_conversation_msg / user_clear_all_msg (2.10)
    msg_mins: dict = field(default_factory=dict)
    # "userID\x00conversationID" -> seqs delete_msgs hid from that user only (2.10)
    msg_hidden: dict = field(default_factory=dict)
    # operationID -> send status (2 = sent) of successful send_msg calls, for
    # check_msg_is_send_success; bounded (models_messages.SEND_STATUS_MAX), oldest dropped
    send_status: dict = field(default_factory=dict)
    send_status_dropped: int = 0
    # models_user_routes.py: process_user_command records seq -> [userID, type, uuid, value, ex,
    # createTime s] (bounded, oldest dropped and counted) and who is online (core/presence.py)
    user_commands: dict = field(default_factory=dict)
    user_command_seq: int = 0
    user_commands_dropped: int = 0
    presence: Presence = field(default_factory=Presence)

    def next_digest(self) -> str:
        """A fresh MD5 hex digest from (secret, sequence number): md5(f"{secret}:{seq}"), the
        "secret:" prefix hashed once per secret (two of these per stored message)."""
        self.id_seq += 1
        base = _DIGEST_BASES.get(self.secret)
        if base is None:
            if len(_DIGEST_BASES) >= _DIGEST_BASES_MAX:
                _DIGEST_BASES.clear()
            base = _DIGEST_BASES[self.secret] = hashlib.md5(f"{self.secret}:".encode())
        h = base.copy()
        h.update(b"%d" % self.id_seq)
        return h.hexdigest()

    def setting(self, name: str):
        """The tenant's own value, else its version profile's, else the default."""
        s = self.settings
        if name in s:
            return s[name]
        return _RESOLVED[s.get("version", DEFAULT_VERSION)][name]

    @property
    def version(self) -> str:
        return self.setting("version")

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.admins

    def set_status(self, g: "Group", status: int) -> None:
        """Every status change goes here, keeping dismissed_count right."""
        self.dismissed_count += (status == STATUS_DISMISSED) - (g.status == STATUS_DISMISSED)
        g.status = status

    def recount_dismissed(self) -> None:
        self.dismissed_count = sum(1 for g in self.groups.values() if g.status == STATUS_DISMISSED)

    # --- membership with its indexes and version logs -------------------------------------
    def add_member(self, group: Group, user_id: str, member: Member) -> None:
        # one string per user, shared by its groups and the index (each request's JSON gives
        # a new copy): ~50 bytes less per membership (<= 300 B target)
        user_id = sys.intern(user_id)
        group.members[user_id] = member
        if member.roleLevel == OWNER:
            group.owner = user_id
        if member.roleLevel in SPECIAL_ROLES:
            self.role_changed(group, user_id)
        self.user_groups.setdefault(user_id, {})[group.groupID] = None
        self.messages.join("sg_" + group.groupID, (user_id,))     # membership history

    def remove_member(self, group: Group, user_id: str) -> None:
        member = group.members.pop(user_id)
        self.messages.leave("sg_" + group.groupID, (user_id,))
        if member.roleLevel == OWNER:
            group.owner = ""
        if member.roleLevel in SPECIAL_ROLES:
            self.role_changed(group, user_id)
        joined = self.user_groups.get(user_id)
        if joined is not None:
            joined.pop(group.groupID, None)
            if not joined:
                del self.user_groups[user_id]

    def role_changed(self, group: Group, user_id: str) -> None:
        """Drop the owner/admin orders derived from ``user_id``'s role in ``group``: call it on
        every roleLevel change (add/remove of an owner or admin do it themselves)."""
        group.special = None
        self.special_joins.pop(user_id, None)

    def special_members(self, group: Group) -> list:
        """User ids of ``group``'s owner/admin-role members, join order (rebuilt after a role change)."""
        if group.special is None:
            group.special = [u for u, m in group.members.items() if m.roleLevel in SPECIAL_ROLES]
        return group.special

    def special_groups(self, user_id: str) -> list:
        """Group ids where ``user_id`` has an owner/admin role, join order."""
        gids = self.special_joins.get(user_id)
        if gids is None:
            groups = self.groups
            gids = self.special_joins[user_id] = [
                gid for gid in self.user_groups.get(user_id, ())
                if groups[gid].members[user_id].roleLevel in SPECIAL_ROLES]
        return gids

    def new_object_id(self) -> str:
        """A Mongo ObjectID's hex form (24 hex digits): the version log's ID that clients echo
        as versionID."""
        return self.next_digest()[:24]

    def bump(self, logs: dict, key: str, eids, state: int) -> VersionLog:
        """IncrVersion: one new version for ``key`` recording ``eids`` with ``state``."""
        vl = logs.get(key)
        if vl is None:
            vl = logs[key] = VersionLog(self.new_object_id())
        else:
            vl.version += 1
        stamp = share_stamp(vl.version * 4 + state)    # one int object for every id of this bump
        for eid in eids:
            vl.logs.pop(eid, None)
            vl.logs[sys.intern(eid)] = stamp    # ids shared with the groups, as in add_member
        return vl

    def member_changed(self, group_id: str, eids, state: int) -> None:
        self.bump(self.member_versions, group_id, eids, state)

    def joins_changed(self, user_id: str, group_ids, state: int) -> None:
        self.bump(self.join_versions, user_id, group_ids, state)




# --- scenario schema --------------------------------------------------------------------------
class _Strict(Schema):
    class Meta:
        unknown = RAISE


class SeedUserSchema(_Strict):
    userID = fields.String(required=True, validate=validate.Length(min=1))
    nickname = fields.String(load_default="")
    faceURL = fields.String(load_default="")
    ex = fields.String(load_default="")
    appMangerLevel = fields.Integer(load_default=0)
    globalRecvMsgOpt = fields.Integer(load_default=0)


class SeedGroupSchema(_Strict):
    groupID = fields.String(required=True, validate=validate.Length(min=1))
    groupName = fields.String(load_default="")
    notification = fields.String(load_default="")
    introduction = fields.String(load_default="")
    faceURL = fields.String(load_default="")
    ex = fields.String(load_default="")
    status = fields.Integer(load_default=0, validate=validate.OneOf([0, 1, 2, 3]))
    creatorUserID = fields.String(load_default="")
    needVerification = fields.Integer(load_default=0)
    lookMemberInfo = fields.Integer(load_default=0)
    applyMemberFriend = fields.Integer(load_default=0)
    ownerUserID = fields.String(required=True, validate=validate.Length(min=1))
    adminUserIDs = fields.List(fields.String(), load_default=list)
    memberUserIDs = fields.List(fields.String(), load_default=list)


class SettingsSchema(_Strict):
    version = fields.String(validate=validate.OneOf(
        VERSIONS, error="unknown OpenIM version {input!r}; known: " + ", ".join(VERSIONS)))
    token_expire_days = fields.Integer(validate=validate.Range(min=1))
    admin_token_grace_seconds = fields.Integer(validate=validate.Range(min=0))
    admin_tokens_stateless = fields.Boolean()
    accept_minted_admin_tokens = fields.Boolean()
    rate_limit = fields.Float(validate=validate.Range(min=0))
    max_groups = fields.Integer(validate=validate.Range(min=1))
    max_group_members = fields.Integer(validate=validate.Range(min=1))
    empty_lists_null = fields.Boolean()
    quirk_create_member_count_includes_op = fields.Boolean()
    quirk_creator_user_id_from_request = fields.Boolean()
    quirk_blank_group_name_silent_success = fields.Boolean()
    quirk_member_list_keyword_swap = fields.Boolean()
    quirk_join_group_inviter_is_applicant = fields.Boolean()
    quirk_invite_existing_member_500 = fields.Boolean()
    quirk_users_req_list_null_user_info = fields.Boolean()
    quirk_request_handle_fields_lost = fields.Boolean()
    quirk_join_max_seq_invalid = fields.Boolean()
    error_format = fields.String(validate=validate.OneOf(VERSIONS))
    read_permission_checks = fields.Boolean()
    batch_sync_per_group = fields.Boolean()
    full_ids_version_is_hash = fields.Boolean()
    application_list_filters = fields.Boolean()
    application_lists_newest_first = fields.Boolean()
    unhandled_count_route = fields.Boolean()
    invite_by_admin_records_admin = fields.Boolean()
    invite_chunk_size = fields.Integer(validate=validate.Range(min=0, max=1000))
    group_texts_trimmed = fields.Boolean()
    update_user_info_ex_check = fields.Boolean()
    send_reply_modify = fields.Boolean()
    notification_send_message_field = fields.Boolean()
    cleared_announcement_notification = fields.Boolean()
    revoke_former_member_by_admin = fields.Boolean()


class TenantSpecSchema(_Strict):
    id = fields.String(validate=validate.Length(min=1, max=128))
    secret = fields.String(required=True, validate=validate.Length(min=1))
    admins = fields.List(fields.String(validate=validate.Length(min=1)), load_default=lambda: ["imAdmin"])
    settings = fields.Nested(SettingsSchema, load_default=dict)
    users = fields.List(fields.Nested(SeedUserSchema), load_default=list)
    groups = fields.List(fields.Nested(SeedGroupSchema), load_default=list)
    messages = fields.Nested(StoreSpec)     # the state dump's shape (core/messages.py)


class OpenIMScenarioSchema(_Strict):
    tenants = fields.List(fields.Nested(TenantSpecSchema), load_default=list)

    @validates_schema
    def _secrets_unique(self, data, **kwargs):
        """A secret names its tenant on get_admin_token and signs its tokens: one tenant each."""
        seen: dict = {}
        for i, spec in enumerate(data.get("tenants") or []):
            if spec["secret"] in seen:
                raise ValidationError({"tenants": {i: {"secret": [
                    f"secret already used by tenants[{seen[spec['secret']]}]"]}}})
            seen[spec["secret"]] = i


# --- backend ----------------------------------------------------------------------------------
def adopt_rosters(t: Tenant) -> None:
    """Groups loaded without membership history (old dumps, seeds): current members from now."""
    for gid in t.groups:
        t.messages.adopt("sg_" + gid)


class OpenIMBackend(TenantBackend):
    section_key = "tenants"

    def tenant_id(self, spec: dict) -> str:
        return tenant_key(spec)

    def by_secret(self, secret: str) -> Tenant | None:
        """The tenant whose secret this is (get_admin_token names its tenant by the secret)."""
        for t in self.tenants.values():
            if t.secret == secret:
                return t
        return None

    def load(self, data: dict, tenant_id: str | None = None) -> None:
        """A dump made when tenants were keyed by secret has no ``id``: such a tenant takes the
        id the scenario declares for its secret (else the derived one) and is re-keyed by it."""
        declared = {spec["secret"]: tenant_key(spec) for spec in self._specs.values()}
        fixed = {}
        for key, d in data.items():
            if isinstance(d, dict) and not d.get("id") and isinstance(d.get("secret"), str):
                name = key if key != d["secret"] else declared.get(key)
                d = {**d, "id": name or tenant_key(d)}
                key = d["id"]
            fixed[key] = d
        super().load(fixed, tenant_id)
        self.tenants = {t.id: t for t in self.tenants.values()}

    def build_tenant(self, spec: dict) -> Tenant:
        now = self.clock.now_ms()
        settings = dict(spec.get("settings") or {})
        settings.setdefault("version", DEFAULT_VERSION)    # the profile shows in the state dump
        t = Tenant(secret=spec["secret"], admins=list(spec.get("admins") or ["imAdmin"]),
                   settings=settings, id=tenant_key(spec))
        for i, u in enumerate(spec.get("users") or []):
            if u["userID"] in t.users:
                raise SeedError(f"users[{i}].userID", f"duplicate userID {u['userID']!r}")
            t.users[u["userID"]] = User(createTime=now, **u)
        for admin in t.admins:   # the server registers its admins at start (user.go Start)
            t.users.setdefault(admin, User(admin, nickname=admin, createTime=now,
                                              appMangerLevel=APP_NOTIFICATION_ADMIN))
        for i, g in enumerate(spec.get("groups") or []):
            self._seed_group(t, g, i, now)
        if spec.get("messages"):
            try:
                t.messages = MessageStore.from_json(spec["messages"])
            except SeedError as exc:
                raise exc.under("messages") from None
        adopt_rosters(t)
        t.recount_dismissed()
        return t

    def _seed_group(self, t: Tenant, g: dict, i: int, now: int) -> None:
        gid = g["groupID"]
        if gid in t.groups:
            raise SeedError(f"groups[{i}].groupID", f"duplicate groupID {gid!r}")
        ids = [("ownerUserID", g["ownerUserID"], OWNER)]
        ids += [(f"adminUserIDs[{j}]", u, ADMIN) for j, u in enumerate(g["adminUserIDs"])]
        ids += [(f"memberUserIDs[{j}]", u, ORDINARY) for j, u in enumerate(g["memberUserIDs"])]
        seen = set()
        for path, uid, _ in ids:
            if uid not in t.users:
                raise SeedError(f"groups[{i}].{path}", f"unknown userID {uid!r}")
            if uid in seen:
                raise SeedError(f"groups[{i}].{path}", f"userID {uid!r} listed twice")
            seen.add(uid)
        values = {k: g[k] for k in GROUP_FIELDS if k in g}
        values.setdefault("createTime", now)
        group = Group(**values)
        t.groups[gid] = group
        for _, uid, role in ids:
            t.add_member(group, uid, Member(role, now, joinSource=2, operatorUserID=g["ownerUserID"],
                                            inviterUserID=g["ownerUserID"]))
        t.member_changed(gid, [uid for _, uid, _ in ids], V_INSERT)
        for _, uid, _ in ids:
            t.joins_changed(uid, [gid], V_INSERT)

    def tenant_to_json(self, t: Tenant) -> dict:
        groups = []
        for g in t.groups.values():
            d = {k: getattr(g, k) for k in GROUP_FIELDS}
            d["members"] = [[uid, m.roleLevel, m.joinTime, m.joinSource, m.operatorUserID,
                             m.inviterUserID, m.nickname, m.faceURL, m.ex, m.muteEndTime]
                            for uid, m in g.members.items()]
            d["requests"] = [[uid, r.reqMsg, r.reqTime, r.joinSource, r.inviterUserID, r.ex,
                              r.handleResult, r.handledMsg, r.handleUserID, r.handledTime]
                             for uid, r in g.requests.items()]
            groups.append(d)
        return {
            "id": t.id, "secret": t.secret, "admins": list(t.admins), "settings": dict(t.settings),
            "users": [[u.userID, u.nickname, u.faceURL, u.ex, u.createTime, u.appMangerLevel,
                       u.globalRecvMsgOpt] for u in t.users.values()],
            "groups": groups,
            "user_requests": {k: list(v) for k, v in t.user_requests.items()},
            "tokens": {k: list(v) for k, v in t.tokens.items()},
            "temp_tokens": dict(t.temp_tokens),
            "member_versions": {k: [v.id, v.version, list(v.logs.items())] for k, v in t.member_versions.items()},
            "join_versions": {k: [v.id, v.version, list(v.logs.items())] for k, v in t.join_versions.items()},
            "id_seq": t.id_seq,
            **({"messages": t.messages.dump()} if not t.messages.is_default() else {}),
            **({"msg_caps": dict(t.msg_caps)} if t.msg_caps else {}),
            **({"msg_mins": dict(t.msg_mins)} if t.msg_mins else {}),
            **({"msg_hidden": {k: list(v) for k, v in t.msg_hidden.items()}} if t.msg_hidden else {}),
            **({"send_status": dict(t.send_status), "send_status_dropped": t.send_status_dropped}
               if t.send_status or t.send_status_dropped else {}),
            "user_commands": [[seq, *rec] for seq, rec in t.user_commands.items()],
            "user_command_seq": t.user_command_seq,
            "user_commands_dropped": t.user_commands_dropped,
        }

    def tenant_from_json(self, d: dict) -> Tenant:
        settings = dict(d.get("settings") or {})
        if settings.get("version", DEFAULT_VERSION) not in PROFILES:
            raise ValueError(f"unknown OpenIM version {settings['version']!r}")
        t = Tenant(secret=d["secret"], admins=list(d["admins"]), settings=settings,
                   id=tenant_key(d))
        for row in d.get("users") or []:
            t.users[row[0]] = User(*row)
        for gd in d.get("groups") or []:
            g = Group(**{k: gd[k] for k in GROUP_FIELDS})
            t.groups[g.groupID] = g
            for row in gd.get("members") or []:
                t.add_member(g, row[0], Member(*row[1:]))
            for row in gd.get("requests") or []:
                g.requests[row[0]] = GroupRequest(*row[1:])
        t.user_requests = {k: dict.fromkeys(v) for k, v in (d.get("user_requests") or {}).items()}
        for tok, row in (d.get("tokens") or {}).items():
            t.tokens[tok] = list(row)
            t.user_tokens.setdefault(row[0], {}).setdefault(row[1], []).append(tok)
        t.temp_tokens = dict(d.get("temp_tokens") or {})
        t.id_seq = int(d.get("id_seq", 0))
        if d.get("messages"):
            t.messages = MessageStore.from_json(StoreSpec().load(d["messages"]))
        adopt_rosters(t)
        t.msg_caps = dict(d.get("msg_caps") or {})
        t.msg_mins = dict(d.get("msg_mins") or {})
        t.msg_hidden = {k: list(v) for k, v in (d.get("msg_hidden") or {}).items()}
        t.send_status = dict(d.get("send_status") or {})
        t.send_status_dropped = int(d.get("send_status_dropped", 0))
        t.user_commands = {int(row[0]): list(row[1:]) for row in d.get("user_commands") or []}
        t.user_command_seq = int(d.get("user_command_seq", 0))
        t.user_commands_dropped = int(d.get("user_commands_dropped", 0))
        for name in ("member_versions", "join_versions"):
            target = getattr(t, name)
            for k, (vid, ver, logs) in (d.get(name) or {}).items():
                target[k] = VersionLog(vid, ver, {sys.intern(e): share_stamp(s) for e, s in logs})
        t.recount_dismissed()
        return t

    def conversations_of(self, tenant_id: str, user: str) -> dict:
        """One-to-one and notification chats (the store's), plus the groups the user is in now
        with their whole history: enableHistoryForNewMembers defaults to true (webhooks ref 2.11)."""
        out = super().conversations_of(tenant_id, user)
        t = self.tenants.get(tenant_id)
        if t is not None:
            for gid in t.user_groups.get(user, ()):
                out["sg_" + gid] = out["online:sg_" + gid] = out["n_" + gid] = None
        return out

    def check_tenant(self, tenant_id: str, t: Tenant) -> list[str]:
        problems = []
        if t.id != tenant_id:
            problems.append(f"tenant id {t.id!r} differs from its key")
        for admin in t.admins:
            if admin not in t.users:
                problems.append(f"admin {admin} is not a registered user")
        dismissed = sum(1 for g in t.groups.values() if g.status == STATUS_DISMISSED)
        if dismissed != t.dismissed_count:
            problems.append(f"dismissed group count {t.dismissed_count} is stale (really {dismissed})")
        index_count = 0
        for gid, g in t.groups.items():
            owners = [u for u, m in g.members.items() if m.roleLevel == OWNER]
            if g.members and len(owners) != 1:
                problems.append(f"group {gid} has {len(owners)} owners")
            if g.owner != (owners[0] if owners else ""):
                problems.append(f"group {gid} owner cache {g.owner!r} is stale")
            for uid in g.members:
                if uid not in t.users:
                    problems.append(f"group {gid} member {uid} is not a user")
                if gid not in t.user_groups.get(uid, {}):
                    problems.append(f"index misses {uid} in {gid}")
            for uid in g.requests:
                if gid not in t.user_requests.get(uid, {}):
                    problems.append(f"request index misses {uid} -> {gid}")
            index_count += len(g.members)
        for uid, gids in t.user_groups.items():
            for gid in gids:
                if gid not in t.groups or uid not in t.groups[gid].members:
                    problems.append(f"index has {uid} in {gid} but the group does not")
        if index_count != sum(len(v) for v in t.user_groups.values()):
            problems.append("member counts disagree with the user -> groups index")
        from .models_user_routes import check_user_commands
        problems.extend(check_user_commands(t))
        from .models_messages import check_messages
        problems.extend(check_messages(t))
        return problems

    # --- presence and client tokens (core/presence.py) ------------------------------------------
    def normalise_platform(self, value) -> str:
        from .models_user_routes import normalise_platform
        return normalise_platform(value)

    def check_client_token(self, tenant_id: str, token: str, now_ms: int):
        """The token store itself answers (auth.verify, as /auth/parse_token would): it already
        records every issued token per platform with its kicked state, so no second copy is
        kept in the core registry."""
        from emulator.core.presence import TokenCheck

        from . import auth
        from .errors import OpenIMError
        t = self.tenants.get(tenant_id)
        if t is None:
            return TokenCheck(False, "unknown tenant")
        try:
            _, claims = auth.verify(token, {tenant_id: t}, now_ms / 1000)
        except OpenIMError as exc:
            reason = {1501: "expired", 1506: "revoked: kicked", 1507: "never issued"}.get(
                exc.code, f"invalid: {exc.code} {exc.message}")
            try:
                user = auth.unverified(token)[1].get("UserID")
            except OpenIMError:
                user = None
            return TokenCheck(False, reason, user)
        exp = claims.get("exp")
        return TokenCheck(True, "ok", claims.get("UserID"), str(claims.get("PlatformID")),
                          None if exp is None else int(exp * 1000))

    # the inspector's rows (inspector.py, imported when first asked for)
    def inspect_settings(self, tenant) -> dict:
        from .inspector import settings
        return settings(self, tenant)

    def inspect_rows(self, tenant, kind, parent, offset, limit):
        from .inspector import rows
        return rows(self, tenant, kind, parent, offset, limit)
