"""OpenIM routes: path -> rule function, request schema and one-line summary (the coverage
table in the README is generated from this list)."""

from __future__ import annotations

from emulator.core.call import LazySchemas
from emulator.providers.base import Call, Route

from . import handlers_auth as A
from emulator.core.callbacks import Pending

from .callbacks import wrap as with_hooks
from . import models_groups as G
from . import models_members as M
from . import models_messages as MSG
from . import models_messages_read as MR
from . import models_sync as S
from . import models_user_routes as R
from . import models_users as U
# imported by the first request of a route they serve, not at start (core/call.py: LazySchemas)
s = LazySchemas(f"{__package__}.schemas")
sm = LazySchemas(f"{__package__}.schemas_messages")
su = LazySchemas(f"{__package__}.schemas_users")


def rule(fn):
    """Adapt a rule function (tenant, op userID, request, now ms) to a pipeline handler."""
    from .provider import EMPTY

    def run(call: Call):
        result = fn(call.tenant, call.caller, call.data, int(call.now * 1000))
        return EMPTY if result is None else result

    def handler(call: Call):
        # webhooks (callbacks.py): a tenant with a callback configuration runs the rule with hooks on
        engine = call.provider.callbacks
        if engine is not None and (engine.configs or engine.replaying):
            return with_hooks(call, lambda: run(call))
        result = fn(call.tenant, call.caller, call.data, int(call.now * 1000))   # run, inlined
        return EMPTY if result is None else result

    handler.__name__ = fn.__name__
    handler.__doc__ = fn.__doc__
    return handler


def call_handler(fn):
    from .provider import EMPTY

    def handler(call: Call):
        result = fn(call)
        return EMPTY if result is None else result

    return handler


def send_handler(fn):
    """A send rule that, on success, records send status 2 under the request's operationID."""
    inner = rule(fn)

    def finish(call: Call, result):
        if isinstance(result, Pending):     # a before webhook is asked first: record once sent
            apply = result.apply
            return Pending(result.hook, lambda outcome: finish(call, apply(outcome)))
        MSG.record_send_status(call.tenant, call.request.headers.get("operationID", ""))
        return result

    def handler(call: Call):
        return finish(call, inner(call))

    handler.__name__ = fn.__name__
    handler.__doc__ = fn.__doc__
    return handler


def send_status_handler(call: Call):
    return MSG.check_msg_is_send_success(call.tenant, call.request.headers.get("operationID", ""))


# (path, handler, schema class, summary)
TABLE = [
    ("/auth/get_admin_token", call_handler(A.get_admin_token), s.GetAdminTokenReqSchema,
     "Admin token for an admin userID, from the tenant secret"),
    ("/auth/get_user_token", call_handler(A.get_user_token), s.GetUserTokenReqSchema,
     "User token for a platform (admin only; kicks the user's older token on that platform)"),
    ("/auth/parse_token", call_handler(A.parse_token), s.ParseTokenReqSchema,
     "Validate a token against signature, expiry and the token store"),
    ("/auth/force_logout", call_handler(A.force_logout), s.ForceLogoutReqSchema,
     "Mark a user's tokens on a platform as kicked (admin only)"),
    ("/user/user_register", rule(U.user_register), s.UserRegisterReqSchema,
     "Register users (admin only; whole batch refused if one exists)"),
    ("/user/get_users_info", rule(U.get_users_info), s.GetDesignateUsersReqSchema,
     "Users' profiles; unknown IDs omitted"),
    ("/user/get_all_users_uid", rule(U.get_all_users_uid), s.GetAllUserIDReqSchema,
     "Page over every registered userID"),
    ("/user/update_user_info_ex", rule(U.update_user_info_ex), s.UpdateUserInfoExReqSchema,
     "Update nickname/faceURL/ex/globalRecvMsgOpt (self or admin)"),
    ("/user/account_check", rule(U.account_check), s.AccountCheckReqSchema,
     "Registered (1) or not (0) per userID (admin only)"),
    ("/user/get_users", rule(R.get_users), su.GetPaginationUsersReqSchema,
     "CMS page of ordinary users (levels 0/1), userID/nickName regex filters"),
    ("/user/update_user_info", rule(R.update_user_info), su.UpdateUserInfoReqSchema,
     "Deprecated update: non-empty fields only (self or admin)"),
    ("/user/get_users_online_status", rule(R.get_users_online_status), su.GetUsersOnlineStatusReqSchema,
     "Online status and platforms per userID, from presence (admin only)"),
    ("/user/get_users_online_token_detail", rule(R.get_users_online_token_detail),
     su.GetUsersOnlineStatusReqSchema, "Online users' live tokens per platform"),
    ("/user/process_user_command_add", rule(R.process_user_command_add),
     su.ProcessUserCommandAddReqSchema, "Add a per-user command record (self or admin)"),
    ("/user/process_user_command_delete", rule(R.process_user_command_delete),
     su.ProcessUserCommandDeleteReqSchema, "Delete the first matching command record"),
    ("/user/process_user_command_update", rule(R.process_user_command_update),
     su.ProcessUserCommandUpdateReqSchema, "Update the first matching command record"),
    ("/user/process_user_command_get", rule(R.process_user_command_get),
     su.ProcessUserCommandGetReqSchema, "A user's command records of one type"),
    ("/user/process_user_command_get_all", rule(R.process_user_command_get_all),
     su.ProcessUserCommandGetAllReqSchema, "All of a user's command records"),
    ("/group/create_group", rule(G.create_group), s.CreateGroupReqSchema,
     "Create a working group (type 2) with owner, admins and members"),
    ("/group/set_group_info", rule(G.set_group_info), s.SetGroupInfoReqSchema,
     "Update group fields (older form; empty strings leave fields unchanged)"),
    ("/group/set_group_info_ex", rule(G.set_group_info_ex), s.SetGroupInfoExReqSchema,
     "Update group fields present in the body (owner/admin)"),
    ("/group/join_group", rule(M.join_group), s.JoinGroupReqSchema,
     "Apply to join, or join directly when needVerification is 2"),
    ("/group/quit_group", rule(M.quit_group), s.QuitGroupReqSchema,
     "Leave a group (not the owner)"),
    ("/group/group_application_response", rule(M.group_application_response),
     s.GroupApplicationResponseReqSchema, "Accept (1) or refuse (-1) a join request"),
    ("/group/transfer_group", rule(G.transfer_group), s.TransferGroupOwnerReqSchema,
     "Hand ownership to another member"),
    ("/group/get_recv_group_applicationList", rule(M.get_recv_group_application_list),
     s.GetGroupApplicationListReqSchema, "Join requests to the groups a user manages"),
    ("/group/get_user_req_group_applicationList", rule(M.get_user_req_group_application_list),
     s.GetUserReqApplicationListReqSchema, "Join requests a user has sent"),
    ("/group/get_group_users_req_application_list", rule(M.get_group_users_req_application_list),
     s.GetGroupUsersReqApplicationListReqSchema, "Join requests of given users to one group"),
    ("/group/get_specified_user_group_request_info", rule(M.get_specified_user_group_request_info),
     s.GetSpecifiedUserGroupRequestInfoReqSchema, "One user's join request to one group"),
    ("/group/get_groups_info", rule(G.get_groups_info), s.GetGroupsInfoReqSchema,
     "Groups' info; unknown IDs omitted"),
    ("/group/kick_group", rule(M.kick_group), s.KickGroupMemberReqSchema,
     "Remove members (owner/admin rules)"),
    ("/group/get_group_members_info", rule(M.get_group_members_info), s.GetGroupMembersInfoReqSchema,
     "Given members' info"),
    ("/group/get_group_member_list", rule(M.get_group_member_list), s.GetGroupMemberListReqSchema,
     "Page over members, owner and admins first"),
    ("/group/invite_user_to_group", rule(M.invite_user_to_group), s.InviteUserToGroupReqSchema,
     "Add users (or create requests when the group needs verification)"),
    ("/group/get_joined_group_list", rule(G.get_joined_group_list), s.GetJoinedGroupListReqSchema,
     "Page over a user's groups: owned, administered, then member"),
    ("/group/dismiss_group", rule(G.dismiss_group), s.DismissGroupReqSchema,
     "Dismiss (status 2), optionally deleting the members"),
    ("/group/mute_group_member", rule(M.mute_group_member), s.MuteGroupMemberReqSchema,
     "Mute a member for mutedSeconds"),
    ("/group/cancel_mute_group_member", rule(M.cancel_mute_group_member),
     s.CancelMuteGroupMemberReqSchema, "Unmute a member"),
    ("/group/mute_group", rule(G.mute_group), s.GroupIDReqSchema, "Mute the group (status 3)"),
    ("/group/cancel_mute_group", rule(G.cancel_mute_group), s.GroupIDReqSchema,
     "Unmute the group (status 0)"),
    ("/group/set_group_member_info", rule(S.set_group_member_info), s.SetGroupMemberInfoReqSchema,
     "Edit members' nickname/faceURL/ex/roleLevel"),
    ("/group/get_group_abstract_info", rule(S.get_group_abstract_info),
     s.GetGroupAbstractInfoReqSchema, "Member count and member-list hash per group"),
    ("/group/get_groups", rule(G.get_groups), s.GetGroupsReqSchema,
     "CMS search by groupID or groupName, newest first"),
    ("/group/get_group_member_user_id", rule(M.get_group_member_user_id), s.GroupIDReqSchema,
     "All member userIDs of a group"),
    ("/group/get_incremental_join_groups", rule(S.get_incremental_join_groups),
     s.GetIncrementalJoinGroupReqSchema, "Joined-group changes since a version"),
    ("/group/get_incremental_group_members", rule(S.get_incremental_group_members),
     s.GetIncrementalGroupMemberReqSchema, "Member changes of a group since a version"),
    ("/group/get_incremental_group_members_batch", rule(S.get_incremental_group_members_batch),
     s.BatchGetIncrementalGroupMemberReqSchema, "Member changes of several groups"),
    ("/group/get_full_group_member_user_ids", rule(S.get_full_group_member_user_ids),
     s.GetFullGroupMemberUserIDsReqSchema, "All member IDs unless idHash matches"),
    ("/group/get_full_join_group_ids", rule(S.get_full_join_group_ids),
     s.GetFullJoinGroupIDsReqSchema, "All joined group IDs unless idHash matches"),
    ("/group/get_group_application_unhandled_count", rule(M.get_group_application_unhandled_count),
     s.GetGroupApplicationUnhandledCountReqSchema, "Pending requests to a user's managed groups"),
    ("/statistics/group/create", rule(G.group_create_count), s.GroupCreateCountReqSchema,
     "Groups created: total, before start, per day (admin only)"),
    ("/msg/send_msg", send_handler(MSG.send_msg), sm.SendMsgReqSchema,
     "Send a single, group or notification-chat message (admin only; stored, seq per conversation)"),
    ("/msg/batch_send_msg", rule(MSG.batch_send_msg), sm.BatchSendMsgReqSchema,
     "Send one message to many users (or all); failures listed"),
    ("/msg/send_business_notification", rule(MSG.send_business_notification),
     sm.SendBusinessNotificationReqSchema, "Push a contentType 2001 notification (not stored)"),
    ("/msg/revoke_msg", rule(MR.revoke_msg), sm.RevokeMsgReqSchema,
     "Revoke a message by conversationID + seq (role rules; 2101 in the n_ twin)"),
    ("/msg/newest_seq", rule(MR.newest_seq), sm.GetMaxSeqReqSchema,
     "Max seq of each of a user's conversations"),
    ("/msg/pull_msg_by_seq", rule(MR.pull_msg_by_seq), sm.PullMessageBySeqsReqSchema,
     "Messages by seq ranges as a user sees them"),
    ("/msg/search_msg", rule(MR.search_msg), sm.SearchMessageReqSchema,
     "Search stored single/group messages (sender, receiver, type, day), paged"),
    ("/msg/mark_msgs_as_read", rule(MR.mark_msgs_as_read), sm.MarkMsgsAsReadReqSchema,
     "Mark seqs read, raise the read position (2200 receipt to the peer)"),
    ("/msg/set_conversation_has_read_seq", rule(MR.set_conversation_has_read_seq),
     sm.SetConversationHasReadSeqReqSchema, "Set a user's read position in a conversation"),
    ("/msg/get_conversations_has_read_and_max_seq", rule(MR.get_conversations_has_read_and_max_seq),
     sm.GetConversationsHasReadAndMaxSeqReqSchema, "Read position and max seq per conversation"),
    ("/msg/delete_msg_phsical_by_seq", rule(MR.delete_msg_phsical_by_seq),
     sm.DeleteMsgPhysicalBySeqReqSchema, "Delete messages by seq for everyone (no permission check)"),
    ("/msg/get_server_time", rule(MR.get_server_time), sm.GetServerTimeReqSchema,
     "The server clock in ms"),
    ("/msg/mark_conversation_as_read", rule(MR.mark_conversation_as_read), sm.MarkConversationAsReadReqSchema,
     "Raise the read position (one-to-one: mark seqs read, 2200 to the peer)"),
    ("/msg/clear_conversation_msg", rule(MR.clear_conversation_msg), sm.ClearConversationsMsgReqSchema,
     "Hide a user's conversations' history (IsSyncOther: for everybody)"),
    ("/msg/user_clear_all_msg", rule(MR.user_clear_all_msg), sm.UserClearAllMsgReqSchema,
     "Clear every conversation of a user"),
    ("/msg/delete_msgs", rule(MR.delete_msgs), sm.DeleteMsgsReqSchema,
     "Delete seqs for a user (IsSyncOther: for everybody, 2102 to the peer/group)"),
    ("/msg/delete_msg_physical", rule(MR.delete_msg_physical), sm.DeleteMsgPhysicalReqSchema,
     "Admin only; the real cutoff deletes nothing (INFERRED)"),
    ("/msg/check_msg_is_send_success", send_status_handler, sm.GetSendMsgStatusReqSchema,
     "Status 2 when a send_msg with this request's operationID succeeded, else 0"),
]

# Routes that never change state: the durable log (core/persist.py) skips them. Not here: the
# incremental/full sync reads, which create a version document on first use.
READONLY = {"/auth/parse_token", "/user/get_users_info", "/user/get_all_users_uid", "/user/account_check",
            "/group/get_recv_group_applicationList", "/group/get_user_req_group_applicationList",
            "/group/get_group_users_req_application_list", "/group/get_specified_user_group_request_info",
            "/group/get_groups_info", "/group/get_group_members_info", "/group/get_group_member_list",
            "/group/get_joined_group_list", "/group/get_group_abstract_info", "/group/get_groups",
            "/group/get_group_member_user_id", "/group/get_group_application_unhandled_count",
            "/statistics/group/create",
            "/msg/newest_seq", "/msg/pull_msg_by_seq", "/msg/search_msg",
            "/msg/get_conversations_has_read_and_max_seq", "/msg/get_server_time",
            "/msg/check_msg_is_send_success"}

# Catch-alls under the OpenIM modules: OPTIONS preflight and unknown paths (404 after the
# operationID/token middleware, as gin runs global middleware before NoRoute).
MODULES = ("auth", "user", "group", "statistics", "msg")


def build_routes(provider) -> list[Route]:
    from .provider import not_found
    routes = [Route("POST", path, path.strip("/"), handler=h, schema=sch,
                    summary=summary, readonly=path in READONLY) for path, h, sch, summary in TABLE]
    for module in MODULES:
        routes.append(Route("*", f"/{module}/{{tail:.*}}", "not_found", handler=not_found,
                            schema=s.EmptySchema, summary=f"unknown /{module} path: 404; OPTIONS: 200",
                            readonly=True))
    return routes
