"""One schema per OpenIM request body, named after the proto message ([proto] group/group.proto,
auth/auth.proto, user/user.proto, sdkws/sdkws.proto). Field names are the proto's JSON names."""

from __future__ import annotations

from .schemas_base import (GoBool, GoInt, GoList, GoNested, GoSchema, GoString, Int32Value,
                           OptBool, StringValue)


def strs():
    return GoList(GoString())


class RequestPaginationSchema(GoSchema):
    pageNumber = GoInt("int32")
    showNumber = GoInt("int32")


def page():
    return GoNested(RequestPaginationSchema)


# --- auth -------------------------------------------------------------------------------------
class GetAdminTokenReqSchema(GoSchema):
    secret = GoString()
    userID = GoString()


class GetUserTokenReqSchema(GoSchema):
    platformID = GoInt("int32")
    userID = GoString()


class ParseTokenReqSchema(GoSchema):
    token = GoString()


class ForceLogoutReqSchema(GoSchema):
    platformID = GoInt("int32")
    userID = GoString()


# --- user -------------------------------------------------------------------------------------
class UserInfoSchema(GoSchema):
    userID = GoString()
    nickname = GoString()
    faceURL = GoString()
    ex = GoString()
    createTime = GoInt("int64")
    appMangerLevel = GoInt("int32")
    globalRecvMsgOpt = GoInt("int32")


class UserRegisterReqSchema(GoSchema):
    users = GoList(GoNested(UserInfoSchema))


class GetDesignateUsersReqSchema(GoSchema):
    userIDs = strs()


class GetAllUserIDReqSchema(GoSchema):
    pagination = page()


class UserInfoWithExSchema(GoSchema):
    userID = GoString()
    nickname = StringValue()
    faceURL = StringValue()
    ex = StringValue()
    globalRecvMsgOpt = Int32Value()


class UpdateUserInfoExReqSchema(GoSchema):
    userInfo = GoNested(UserInfoWithExSchema)


class AccountCheckReqSchema(GoSchema):
    checkUserIDs = strs()


# --- group ------------------------------------------------------------------------------------
class GroupInfoSchema(GoSchema):
    groupID = GoString()
    groupName = GoString()
    notification = GoString()
    introduction = GoString()
    faceURL = GoString()
    ownerUserID = GoString()
    createTime = GoInt("int64")
    memberCount = GoInt("uint32")
    ex = GoString()
    status = GoInt("int32")
    creatorUserID = GoString()
    groupType = GoInt("int32")
    needVerification = GoInt("int32")
    lookMemberInfo = GoInt("int32")
    applyMemberFriend = GoInt("int32")
    notificationUpdateTime = GoInt("int64")
    notificationUserID = GoString()


class CreateGroupReqSchema(GoSchema):
    memberUserIDs = strs()
    groupInfo = GoNested(GroupInfoSchema)
    adminUserIDs = strs()
    ownerUserID = GoString()
    sendMessage = OptBool()


class GroupInfoForSetSchema(GoSchema):
    groupID = GoString()
    groupName = GoString()
    notification = GoString()
    introduction = GoString()
    faceURL = GoString()
    ex = StringValue()
    needVerification = Int32Value()
    lookMemberInfo = Int32Value()
    applyMemberFriend = Int32Value()


class SetGroupInfoReqSchema(GoSchema):
    groupInfoForSet = GoNested(GroupInfoForSetSchema)


class SetGroupInfoExReqSchema(GoSchema):
    groupID = GoString()
    groupName = StringValue()
    notification = StringValue()
    introduction = StringValue()
    faceURL = StringValue()
    ex = StringValue()
    needVerification = Int32Value()
    lookMemberInfo = Int32Value()
    applyMemberFriend = Int32Value()


class JoinGroupReqSchema(GoSchema):
    groupID = GoString()
    reqMessage = GoString()
    joinSource = GoInt("int32")
    inviterUserID = GoString()
    ex = GoString()


class QuitGroupReqSchema(GoSchema):
    groupID = GoString()
    userID = GoString()


class GroupApplicationResponseReqSchema(GoSchema):
    groupID = GoString()
    fromUserID = GoString()
    handledMsg = GoString()
    handleResult = GoInt("int32")


class TransferGroupOwnerReqSchema(GoSchema):
    groupID = GoString()
    oldOwnerUserID = GoString()
    newOwnerUserID = GoString()


class GetGroupApplicationListReqSchema(GoSchema):
    pagination = page()
    fromUserID = GoString()
    groupIDs = strs()
    handleResults = GoList(GoInt("int32"))


class GetUserReqApplicationListReqSchema(GoSchema):
    pagination = page()
    userID = GoString()
    groupIDs = strs()
    handleResults = GoList(GoInt("int32"))


class GetGroupUsersReqApplicationListReqSchema(GoSchema):
    groupID = GoString()
    userIDs = strs()


class GetSpecifiedUserGroupRequestInfoReqSchema(GoSchema):
    groupID = GoString()
    userID = GoString()


class GetGroupsInfoReqSchema(GoSchema):
    groupIDs = strs()


class KickGroupMemberReqSchema(GoSchema):
    groupID = GoString()
    kickedUserIDs = strs()
    reason = GoString()
    sendMessage = OptBool()


class GetGroupMembersInfoReqSchema(GoSchema):
    groupID = GoString()
    userIDs = strs()


class GetGroupMemberListReqSchema(GoSchema):
    pagination = page()
    groupID = GoString()
    filter = GoInt("int32")
    keyword = GoString()


class InviteUserToGroupReqSchema(GoSchema):
    groupID = GoString()
    reason = GoString()
    invitedUserIDs = strs()
    sendMessage = OptBool()


class GetJoinedGroupListReqSchema(GoSchema):
    pagination = page()
    fromUserID = GoString()


class DismissGroupReqSchema(GoSchema):
    groupID = GoString()
    deleteMember = GoBool()
    sendMessage = OptBool()


class MuteGroupMemberReqSchema(GoSchema):
    groupID = GoString()
    userID = GoString()
    mutedSeconds = GoInt("uint32")


class CancelMuteGroupMemberReqSchema(GoSchema):
    groupID = GoString()
    userID = GoString()


class GroupIDReqSchema(GoSchema):
    """MuteGroupReq / CancelMuteGroupReq / GetGroupMemberUserIDsReq: just a groupID."""
    groupID = GoString()


class SetGroupMemberInfoSchema(GoSchema):
    groupID = GoString()
    userID = GoString()
    nickname = StringValue()
    faceURL = StringValue()
    roleLevel = Int32Value()
    ex = StringValue()


class SetGroupMemberInfoReqSchema(GoSchema):
    members = GoList(GoNested(SetGroupMemberInfoSchema))


class GetGroupAbstractInfoReqSchema(GoSchema):
    groupIDs = strs()


class GetGroupsReqSchema(GoSchema):
    pagination = page()
    groupName = GoString()
    groupID = GoString()


class GetIncrementalJoinGroupReqSchema(GoSchema):
    userID = GoString()
    versionID = GoString()
    version = GoInt("uint64")


class GetIncrementalGroupMemberReqSchema(GoSchema):
    groupID = GoString()
    versionID = GoString()
    version = GoInt("uint64")


class BatchGetIncrementalGroupMemberReqSchema(GoSchema):
    userID = GoString()
    reqList = GoList(GoNested(GetIncrementalGroupMemberReqSchema))


class GetFullGroupMemberUserIDsReqSchema(GoSchema):
    idHash = GoInt("uint64")
    groupID = GoString()


class GetFullJoinGroupIDsReqSchema(GoSchema):
    idHash = GoInt("uint64")
    userID = GoString()


class GetGroupApplicationUnhandledCountReqSchema(GoSchema):
    userID = GoString()
    time = GoInt("int64")


class GroupCreateCountReqSchema(GoSchema):
    start = GoInt("int64")
    end = GoInt("int64")


class EmptySchema(GoSchema):
    """Bodies the emulator reads nothing from (OPTIONS, unknown paths)."""
