"""Every emulated Tencent REST API: /v4/<service>/<command> -> handler + body schema.

``API_ROUTES`` is the coverage table (README and OpenAPI are generated from it); each Route's
``path`` is the real path of the API. The provider also serves a catch-all
``/v4/{service}/{command}`` that answers the documented errors for anything not listed here
(catalog.py tells a real command that is not emulated from a typo).
"""

from __future__ import annotations

from emulator.core.call import LazySchemas
from emulator.providers.base import Route

from . import handlers_accounts as acc
from . import handlers_attrs as attrs
from . import handlers_groups as grp
from . import handlers_members as mem
from . import handlers_messages as msg
from . import handlers_users as usr

# imported by the first request of a route they serve, not at start (core/call.py: LazySchemas)
s = LazySchemas(f"{__package__}.schemas")
sm = LazySchemas(f"{__package__}.schemas_messages")
su = LazySchemas(f"{__package__}.schemas_users")

LOGIN = "im_open_login_svc"
GROUP = "group_open_http_svc"
GROUP_ATTR = "group_open_attr_http_svc"
PROFILE = "profile"
OPENIM = "openim"     # Tencent's one-to-one service name (users §9.1), not the OpenIM provider

# service -> command -> (handler, body schema class, one-line summary)
SERVICES = {
    LOGIN: {
        "account_import": (acc.h_account_import, s.AccountImport, "Import one account"),
        "multiaccount_import": (acc.h_multiaccount_import, s.MultiaccountImport,
                                "Import up to 100 accounts"),
        "account_delete": (acc.h_account_delete, s.AccountDelete, "Delete accounts (per-item ResultCode)"),
        "account_check": (acc.h_account_check, s.AccountCheck, "Check whether accounts are imported"),
        "kick": (usr.h_kick, su.Kick, "Void an account's UserSigs so far and take it offline everywhere"),
    },
    OPENIM: {
        "query_online_status": (usr.h_query_online_status, su.QueryOnlineStatus,
                                "Online status per account (<= 500), per platform with IsNeedDetail"),
        "querystate": (usr.h_query_online_status, su.QueryOnlineStatus,
                       "Old name of query_online_status"),
    },
    PROFILE: {
        "portrait_set": (usr.h_portrait_set, su.PortraitSet,
                         "Set an account's standard / declared custom profile tags"),
        "portrait_get": (usr.h_portrait_get, su.PortraitGet,
                         "Read profile tags of up to 100 accounts (per-account ResultCode)"),
    },
    GROUP: {
        "create_group": (grp.h_create_group, s.CreateGroup, "Create a group (custom or generated GroupId)"),
        "get_appid_group_list": (grp.h_get_appid_group_list, s.GetAppidGroupList,
                                 "Page through the app's groups (Limit/Next/GroupType)"),
        "get_group_info": (grp.h_get_group_info, s.GetGroupInfo,
                           "Group profiles with per-group ErrorCode and ResponseFilter"),
        "get_group_member_info": (mem.h_get_group_member_info, s.GetGroupMemberInfo,
                                  "Members with Limit/Offset (Next for Community) and filters"),
        "get_specified_group_member_info": (mem.h_get_specified_group_member_info,
                                            s.GetSpecifiedGroupMemberInfo, "Profiles of the listed members"),
        "modify_group_base_info": (grp.h_modify_group_base_info, s.ModifyGroupBaseInfo,
                                   "Modify a group's profile"),
        "add_group_member": (mem.h_add_group_member, s.AddGroupMember,
                             "Add up to 300 members (per-member Result)"),
        "delete_group_member": (mem.h_delete_group_member, s.DeleteGroupMember, "Remove members"),
        "modify_group_member_info": (mem.h_modify_group_member_info, s.ModifyGroupMemberInfo,
                                     "Modify a member's role, name card, flags, mute"),
        "destroy_group": (grp.h_destroy_group, s.DestroyGroup, "Dismiss a group"),
        "get_joined_group_list": (grp.h_get_joined_group_list, s.GetJoinedGroupList,
                                  "Groups an account has joined"),
        "get_role_in_group": (grp.h_get_role_in_group, s.GetRoleInGroup, "Roles of accounts in a group"),
        "forbid_send_msg": (mem.h_forbid_send_msg, s.ForbidSendMsg, "Mute or unmute up to 500 members"),
        "get_group_muted_account": (mem.h_get_group_muted_account, s.GetGroupMutedAccount,
                                    "Muted members and until when"),
        "get_group_shutted_uin": (mem.h_get_group_shutted_uin, s.GetGroupMutedAccount,
                                  "Old name of get_group_muted_account"),
        "change_group_owner": (grp.h_change_group_owner, s.ChangeGroupOwner, "Transfer group ownership"),
        "import_group": (grp.h_import_group, s.ImportGroup, "Import a group with its CreateTime"),
        "import_group_member": (mem.h_import_group_member, s.ImportGroupMember,
                                "Import up to 300 members with JoinTime (per-member Result)"),
        "set_unread_msg_num": (mem.h_set_unread_msg_num, s.SetUnreadMsgNum, "Set a member's unread count"),
        "get_online_member_num": (grp.h_get_online_member_num, s.GetOnlineMemberNum,
                                  "Online members of an AVChatRoom"),
        "modify_group_attr": (attrs.h_modify_group_attr, s.GroupAttr, "Add or overwrite group attributes"),
        "clear_group_attr": (attrs.h_clear_group_attr, s.ClearGroupAttr, "Remove all group attributes"),
        "set_group_attr": (attrs.h_set_group_attr, s.GroupAttr, "Replace all group attributes"),
        "ban_group_member": (mem.h_ban_group_member, s.BanGroupMember, "Ban AVChatRoom members"),
        "unban_group_member": (mem.h_unban_group_member, s.UnbanGroupMember, "Lift AVChatRoom bans"),
        "get_group_ban_member": (mem.h_get_group_ban_member, s.GetGroupBanMember,
                                 "List AVChatRoom bans (Offset/Limit)"),
        # the path Tencent's official Java SDK (tencentcloud-im-sdk-java) uses: the same API
        "get_group_attr": (attrs.h_get_group_attr, s.GetGroupAttr,
                           "Read group attributes (the official Java SDK's path; same API)"),
    },
    GROUP_ATTR: {
        "get_group_attr": (attrs.h_get_group_attr, s.GetGroupAttr, "Read group attributes"),
    },
}
SERVICES[OPENIM].update({
        "sendmsg": (msg.h_sendmsg, sm.SendMsg, "Send a one-to-one message (stored, unread counted)"),
        "batchsendmsg": (msg.h_batchsendmsg, sm.BatchSendMsg, "Send one message to up to 500 accounts"),
        "importmsg": (msg.h_importmsg, sm.ImportMsg, "Import a one-to-one message (de-duplicated)"),
        "admin_getroammsg": (msg.h_admin_getroammsg, sm.AdminGetRoamMsg,
                             "One side's one-to-one history, newest page first (LastMsgKey paging)"),
        "admin_msgwithdraw": (msg.h_admin_msgwithdraw, sm.AdminMsgWithdraw, "Recall a one-to-one message by MsgKey"),
        "admin_set_msg_read": (msg.h_admin_set_msg_read, sm.AdminSetMsgRead,
                               "Mark a one-to-one conversation read up to MsgReadTime"),
        "get_c2c_unread_msg_num": (msg.h_get_c2c_unread_msg_num, sm.GetC2cUnreadMsgNum,
                                   "One-to-one unread counts, total and per peer"),
    })
SERVICES[GROUP].update({
    "send_group_msg": (msg.h_send_group_msg, sm.SendGroupMsg,
                       "Send a group message (member, mute and group-type rules; NextMsgSeq, unread)"),
    "send_group_system_notification": (msg.h_send_group_system_notification, sm.SendGroupSystemNotification,
                                       "Online-only system notification to the group or listed members"),
    "import_group_msg": (msg.h_import_group_msg, sm.ImportGroupMsg, "Import up to 7 group messages"),
    "group_msg_get_simple": (msg.h_group_msg_get_simple, sm.GroupMsgGetSimple,
                             "Group history by seq, newest first (<= 20 per call)"),
    "group_msg_recall": (msg.h_group_msg_recall, sm.GroupMsgRecall, "Recall up to 10 group messages by MsgSeq"),
    "delete_group_msg_by_sender": (msg.h_delete_group_msg_by_sender, sm.DeleteGroupMsgBySender,
                                   "Silently delete a sender's messages among the latest 1000"),
})

# Real commands without a route, unknown services and typos: see catalog.py (consulted only
# when no route matched, so a new route here needs no change there).

# A body the schema refuses: the service's invalid-parameter code (groups 10004 otherwise);
# an unexpected exception: the service's internal-error code (groups 10002 otherwise).
BAD_PARAM_CODE = {LOGIN: 70402, PROFILE: 40001, OPENIM: 90001}
INTERNAL_CODE = {LOGIN: 70500, PROFILE: 40006, OPENIM: 90994}


# Commands that never change state: the durable log (core/persist.py) skips them.
READONLY = {"account_check", "get_appid_group_list", "get_group_info", "get_group_member_info",
            "get_specified_group_member_info", "get_joined_group_list", "get_role_in_group",
            "get_group_muted_account", "get_group_shutted_uin", "get_online_member_num",
            "get_group_ban_member", "get_group_attr"}
# message reads (models_messages.py: they look conversations up, never create them)
READONLY |= {"admin_getroammsg", "get_c2c_unread_msg_num", "group_msg_get_simple"}


def _route(service: str, command: str, handler, schema_cls, summary: str) -> Route:
    # api: the path without /v4/, the naming scheme every provider shares (README "Faults")
    return Route("POST", f"/v4/{service}/{command}", api=f"{service}/{command}", handler=handler,
                 schema=schema_cls, summary=summary, readonly=command in READONLY)


API_ROUTES: list[Route] = [_route(svc, cmd, *spec) for svc, cmds in SERVICES.items()
                           for cmd, spec in cmds.items()]
TABLE: dict[tuple[str, str], Route] = {(r.path.split("/")[2], r.path.split("/")[3]): r for r in API_ROUTES}
SERVICE_OF: dict[str, str] = {r.api: r.path.split("/")[2] for r in API_ROUTES}
