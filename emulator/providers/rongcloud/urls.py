"""Every RongCloud path the emulator serves: POST <path>.json, form-urlencoded, signed.
The README coverage table is generated from ROUTES."""

from __future__ import annotations

from emulator.core.call import LazySchemas
from emulator.providers.base import Route

from . import handlers_entrust as he
from . import handlers_legacy as hl
from . import handlers_members as hm
from . import handlers_messages as hmsg
from . import handlers_users as hu
# imported by the first request of a route they serve, not at start (core/call.py: LazySchemas)
se = LazySchemas(f"{__package__}.schemas_entrust")
su = LazySchemas(f"{__package__}.schemas_users")
sl = LazySchemas(f"{__package__}.schemas_legacy")
smsg = LazySchemas(f"{__package__}.schemas_messages")

# (path, handler, schema class, summary)
ENTRUST = [
    ("/entrust/group/create.json", he.create, se.CreateSchema, "Create a hosted group (owner + up to 30 userIds)"),
    ("/entrust/group/profile/update.json", he.update_profile, se.ProfileUpdateSchema,
     "Update name, groupProfile, permissions, groupExtProfile"),
    ("/entrust/group/profile/query.json", he.query_profiles, se.ProfileQuerySchema, "Query up to 50 group profiles"),
    ("/entrust/group/quit.json", he.quit, se.QuitSchema, "Users quit a group (isDelBan/isDelWhite/isDelFollowed)"),
    ("/entrust/group/member/kick.json", he.kick, se.QuitSchema, "Kick members (isDelBan/isDelWhite/isDelFollowed)"),
    ("/entrust/group/member/kick/all.json", he.kick_all, se.UserIdSchema, "Remove a non-owner from all groups"),
    ("/entrust/group/dismiss.json", he.dismiss, se.GroupIdSchema, "Dismiss a hosted group"),
    ("/entrust/group/join.json", he.join, se.JoinSchema, "Add up to 100 users; answers the group info"),
    ("/entrust/group/transfer/owner.json", he.transfer_owner, se.TransferSchema, "Transfer ownership (isQuit)"),
    ("/entrust/group/import.json", he.import_group, se.ImportSchema, "Import a legacy group into profile hosting"),
    ("/entrust/group/manager/add.json", he.add_managers, se.ManagerAddSchema, "Add managers (at most 10 per group)"),
    ("/entrust/group/manager/remove.json", he.remove_managers, se.ManagerRemoveSchema, "Remove up to 10 managers"),
    ("/entrust/group/member/query.json", hm.query_members, se.MemberQuerySchema, "Page members by type (pageToken)"),
    ("/entrust/group/member/specific/query.json", hm.query_specific_members, se.MemberSpecificQuerySchema,
     "Query up to 100 given members"),
    ("/entrust/group/member/set.json", hm.set_member, se.MemberSetSchema, "Set a member's nickname and extra"),
    ("/entrust/group/remarkname/set.json", hm.set_remark_name, se.RemarkNameSetSchema,
     "Set a user's remark name for a group"),
    ("/entrust/group/remarkname/delete.json", hm.delete_remark_name, se.GroupUserSchema,
     "Delete a user's remark name for a group"),
    ("/entrust/group/remarkname/query.json", hm.query_remark_name, se.GroupUserSchema,
     "Query a user's remark name for a group"),
    ("/entrust/group/member/follow.json", hm.follow, se.FollowSchema, "Follow up to 100 members"),
    ("/entrust/group/member/unfollow.json", hm.unfollow, se.FollowSchema, "Unfollow up to 100 members"),
    ("/entrust/group/member/followed/get.json", hm.followed, se.GroupUserSchema, "List the members a user follows"),
    ("/entrust/group/query.json", he.query_groups, se.GroupQuerySchema, "Page all hosted groups of the app"),
    ("/entrust/joined/group/query.json", he.query_joined_groups, se.JoinedGroupQuerySchema,
     "Page the hosted groups a user joined"),
]

LEGACY = [
    ("/group/create.json", hl.create, sl.MembersSchema, "Create a group with up to 1000 userId (alias of join)"),
    ("/group/join.json", hl.join, sl.MembersSchema, "Add up to 1000 userId to a group"),
    ("/group/quit.json", hl.quit, sl.QuitSchema, "Remove up to 1000 userId from a group"),
    ("/group/dismiss.json", hl.dismiss, sl.DismissSchema, "Dismiss a group (any operator)"),
    ("/group/refresh.json", hl.refresh, sl.RefreshSchema, "Rename a group"),
    ("/group/sync.json", hl.sync, sl.SyncSchema, "Replace a user's groups with group[<id>]=<name>"),
    ("/group/user/query.json", hl.group_users, sl.GroupIdSchema, "List a group's members"),
    ("/user/group/query.json", hl.user_groups, sl.UserGroupQuerySchema, "List a user's groups (page/size)"),
    ("/group/user/gag/add.json", hl.gag_add, sl.GagAddSchema, "Mute members for up to 43200 minutes"),
    ("/group/user/gag/rollback.json", hl.gag_rollback, sl.GagRollbackSchema, "Unmute members"),
    ("/group/user/gag/list.json", hl.gag_list, sl.GagListSchema, "List muted members and mute end times"),
    ("/group/ban/add.json", hl.ban_add, sl.BanAddSchema, "Mute whole groups"),
    ("/group/ban/rollback.json", hl.ban_rollback, sl.BanRollbackSchema, "Unmute whole groups"),
    ("/group/ban/query.json", hl.ban_query, sl.BanQuerySchema, "Query whole-group mute status"),
    ("/group/user/ban/whitelist/add.json", hl.whitelist_add, sl.WhitelistSchema, "Add users to the mute allowlist"),
    ("/group/user/ban/whitelist/rollback.json", hl.whitelist_rollback, sl.WhitelistSchema,
     "Remove users from the mute allowlist"),
    ("/group/user/ban/whitelist/query.json", hl.whitelist_query, sl.GroupIdSchema, "List the mute allowlist"),
    ("/group/remarks/set.json", hl.remark_set, sl.RemarkSetSchema, "Set a user's remark for a group"),
    ("/group/remarks/del.json", hl.remark_del, sl.UserGroupSchema, "Delete a user's remark for a group"),
    ("/group/remarks/get.json", hl.remark_get, sl.UserGroupSchema, "Get a user's remark for a group"),
]

USERS = [
    ("/user/getToken.json", hu.get_token, su.GetTokenSchema, "Register a user and issue a client token"),
    ("/user/token/expire.json", hu.token_expire, su.TokenExpireSchema,
     "Void tokens obtained before a time (up to 20 userId)"),
    ("/user/refresh.json", hu.refresh, su.RefreshSchema, "Update a user's push name and portrait"),
    ("/user/info.json", hu.info, su.UserIdSchema, "Query a user's push name, portrait and createTime"),
    ("/user/checkOnline.json", hu.check_online, su.UserIdSchema, "Online status (\"1\"/\"0\") from presence"),
    ("/user/block.json", hu.block, su.BlockSchema, "Ban up to 20 users for 1..43200 minutes"),
    ("/user/unblock.json", hu.unblock, su.UnblockSchema, "Lift bans of up to 20 users"),
    ("/user/block/query.json", hu.block_query, su.BlockQuerySchema, "List banned users and ban end times"),
    ("/user/deactivate.json", hu.deactivate, su.DeactivateSchema, "Deactivate up to 100 users (operateId)"),
    ("/user/reactivate.json", hu.reactivate, su.DeactivateSchema, "Reactivate up to 100 users (operateId)"),
    ("/user/deactivate/query.json", hu.deactivate_query, su.DeactivateQuerySchema, "Page deactivated users"),
    ("/user/blacklist/add.json", hu.blacklist_add, su.BlacklistSchema, "Add up to 20 users to a blocklist"),
    ("/user/blacklist/remove.json", hu.blacklist_remove, su.BlacklistSchema,
     "Remove up to 20 users from a blocklist"),
    ("/user/blacklist/query.json", hu.blacklist_query, su.BlacklistQuerySchema, "Page a blocklist (newest first)"),
    # the English docs print these paths (a translation slip); the SDKs use blacklist
    ("/user/blocklist/add.json", hu.blacklist_add, su.BlacklistSchema, "Alias of /user/blacklist/add.json"),
    ("/user/blocklist/remove.json", hu.blacklist_remove, su.BlacklistSchema, "Alias of /user/blacklist/remove.json"),
    ("/user/blocklist/query.json", hu.blacklist_query, su.BlacklistQuerySchema, "Alias of /user/blacklist/query.json"),
    ("/user/whitelist/add.json", hu.whitelist_add, su.WhitelistSchema, "Add up to 20 users to an allowlist"),
    ("/user/whitelist/remove.json", hu.whitelist_remove, su.WhitelistSchema,
     "Remove up to 20 users from an allowlist"),
    ("/user/whitelist/query.json", hu.whitelist_query, su.UserIdSchema, "List an allowlist"),
    ("/user/profile/set.json", hu.profile_set, su.ProfileSetSchema, "Set a hosted user profile (userProfile, userExtProfile)"),
    ("/user/profile/batch/query.json", hu.profile_batch_query, su.ProfileBatchQuerySchema,
     "Query up to 100 hosted user profiles"),
    ("/user/profile/query.json", hu.profile_query, su.ProfileQuerySchema, "Page all hosted user profiles"),
    ("/user/profile/clean.json", hu.profile_clean, su.ProfileCleanSchema, "Clear hosted user profiles"),
]

MESSAGES = [
    ("/message/private/publish.json", hmsg.private_publish, smsg.PrivatePublishSchema,
     "Send to up to 1000 users (one messageUID each; verifyBlacklist opt-in)"),
    ("/message/group/publish.json", hmsg.group_publish, smsg.GroupPublishSchema,
     "Send to up to 3 groups, or a directed message to members of one (no membership/mute checks)"),
    ("/message/system/publish.json", hmsg.system_publish, smsg.SystemPublishSchema,
     "Send a system message to up to 100 users"),
    ("/message/recall.json", hmsg.recall, smsg.RecallSchema,
     "Recall a message by messageUID (stores the RC:RcCmd command)"),
    ("/message/history.json", hmsg.history, smsg.HistorySchema,
     "URL of an hour's message log (served by the emulator; \"\" when empty)"),
    ("/message/history/delete.json", hmsg.history_delete, smsg.HistorySchema,
     "Delete an hour's message log file (history.json then answers url \"\"; messages stay)"),
]


def api_name(path: str) -> str:
    return path.strip("/").removesuffix(".json")


# APIs whose parameters are all optional accept an empty body ([JAVA] Ban.getList posts nothing);
# every other API answers 1003 to one. Answered from the route's schema on the first empty body
# (not at import: that instantiated every schema at start).
_EMPTY_BODY_OK: dict[str, bool] = {}


def empty_body_ok(route: Route) -> bool:
    ok = _EMPTY_BODY_OK.get(route.api)
    if ok is None:
        schema = route.schema
        ok = _EMPTY_BODY_OK[route.api] = schema is None or not any(f.required for f in schema.fields.values())
    return ok


# Queries that never change state: the durable log (core/persist.py) skips them.
READONLY = {"/entrust/group/profile/query.json", "/entrust/group/member/query.json",
            "/entrust/group/member/specific/query.json", "/entrust/group/remarkname/query.json",
            "/entrust/group/member/followed/get.json", "/entrust/group/query.json",
            "/entrust/joined/group/query.json", "/group/user/query.json", "/user/group/query.json",
            "/group/user/gag/list.json", "/group/ban/query.json", "/group/user/ban/whitelist/query.json",
            "/group/remarks/get.json", "/message/history.json"}


def routes() -> list[Route]:
    return [Route("POST", path, api_name(path), handler, schema, summary=summary, readonly=path in READONLY)
            for path, handler, schema, summary in ENTRUST + LEGACY + USERS + MESSAGES]
