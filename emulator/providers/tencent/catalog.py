"""Every real Tencent REST command we know of, emulated or not: /v4/<service>/<command>.

The provider consults this table only when no route matched, so a command that gains a route
(urls.py) is simply served and nothing here needs to change. What it decides:
- a service not listed here (nor routed): 60009 "unknown service", before authentication, like
  any unknown URL;
- a listed command that is not routed: ``NOT_EMULATED`` (60017) after authentication, naming the
  command as a real one im-emulator does not emulate, so a backend never mistakes it for a typo
  of its own (an emulator choice: the real service answers these, so there is no real code);
- any other command of a listed service: the service's invalid-command code (10003 on the group
  services, reference tencent.md §3.2; 60009 elsewhere: UNKNOWN, emulator choice).

Sources: doocs/qcloud-im-server-sdk-java @ 5971fe48 ``core/*.java`` (newest, 2025-12), the
official TencentCloud/tencentcloud-im-sdk-java @ e0f28919 (paths of its ``*Api.java``), and the
reference notes (tencent.md §3.1, tencent-messages-users-callbacks.md §9-12).
"""

from __future__ import annotations

NOT_EMULATED = 60017     # "request disabled" (tencent.md §1.4): the command exists, not here
UNKNOWN_COMMAND = 60009
GROUP_UNKNOWN_COMMAND = 10003

GROUP_SERVICES = frozenset({"group_open_http_svc", "group_open_attr_http_svc",
                            "group_open_avchatroom_http_svc", "million_group_open_http_svc"})

REAL_COMMANDS: dict[str, frozenset[str]] = {svc: frozenset(cmds.split()) for svc, cmds in {
    "im_open_login_svc": "account_import multiaccount_import account_delete account_check kick",
    "openim": """sendmsg batchsendmsg importmsg admin_getroammsg admin_msgwithdraw
                 admin_set_msg_read get_c2c_unread_msg_num modify_c2c_msg delete_c2c_msg_ramble
                 c2c_msg_read_receipt modify_group_msg query_online_status querystate""",
    "profile": "portrait_set portrait_get",
    "sns": """friend_add friend_import friend_update friend_delete friend_delete_all friend_check
              friend_get friend_get_list black_list_add black_list_delete black_list_get
              black_list_check group_add group_delete group_get""",
    "recentcontact": """get_list delete create_contact_group update_contact_group
                        del_contact_group mark_contact search_contact_group get_contact_group""",
    "group_open_http_svc": """get_appid_group_list create_group get_group_info get_group_member_info
        get_specified_group_member_info modify_group_base_info add_group_member delete_group_member
        modify_group_member_info destroy_group get_joined_group_list get_role_in_group
        forbid_send_msg get_group_muted_account get_group_shutted_uin send_group_msg
        send_group_system_notification change_group_owner group_msg_recall import_group
        import_group_msg import_group_member set_unread_msg_num delete_group_msg_by_sender
        group_msg_get_simple get_online_member_num modify_group_attr clear_group_attr
        set_group_attr get_group_attr send_broadcast_msg group_msg_receipt get_group_msg_receipt
        get_group_msg_receipt_detail import_topic get_group_ban_member ban_group_member
        unban_group_member get_group_counter update_group_counter delete_group_counter
        clear_group_msg""",
    "group_open_attr_http_svc": "get_group_attr",
    "group_open_avchatroom_http_svc": "get_members modify_user_info modify_admin get_admin_list "
                                      "check_members",
    "million_group_open_http_svc": "create_topic get_topic modify_topic destroy_topic",
    "openim_msg_ext_http_svc": "get_key_values set_key_values group_get_key_values "
                               "group_set_key_values",
    "all_member_push": """im_push im_set_attr_name im_get_attr_name im_get_attr im_set_attr
                          im_remove_attr im_get_tag im_add_tag im_remove_tag im_remove_all_tags""",
    "follow": "follow_add follow_delete follow_check follow_get follow_get_info",
    "official_account_open_http_svc": """create_official_account destroy_official_account
        modify_official_account_base_info get_official_account_info send_official_account_msg
        official_account_msg_recall official_account_msg_get_simple add_subscriber
        delete_subscriber modify_subscriber_info get_subscriber_info
        get_subscribed_official_account_list""",
    "openim_robot_http_svc": "create_robot delete_robot get_all_robots",
    "im_msg_audit": "content_moderation batch_content_moderation",
    "im_msg_audit_mgr": """add_local_audit_keywords delete_local_audit_keywords
        get_local_audit_keywords get_cloud_audit_keywords_ids get_cloud_audit_keywords
        add_cloud_audit_keywords delete_cloud_audit_keywords""",
    "openconfigsvr": "setnospeaking getnospeaking getappinfo",
    "open_msg_svc": "get_history",
    "ConfigSvc": "GetIPList",
    "im_cos_msg": "get_cos_sig forbid_illegal_object allow_banned_object",
}.items()}


def unknown_command_code(service: str) -> int:
    return GROUP_UNKNOWN_COMMAND if service in GROUP_SERVICES else UNKNOWN_COMMAND
