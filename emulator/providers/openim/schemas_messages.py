"""Request schemas of the /msg routes ([proto] msg/msg.proto, apistruct/manage.go; reference
openim-users-messages-webhooks.md section 2). Field names are the JSON names the server reads."""

from __future__ import annotations

from .schemas import page, strs
from .schemas_base import GoBool, GoInt, GoList, GoNested, GoObject, GoSchema, GoString


class OfflinePushInfoSchema(GoSchema):
    title = GoString()
    desc = GoString()
    ex = GoString()
    iOSPushSound = GoString()
    iOSBadgeCount = GoBool()
    signalInfo = GoString()


class _SendFields(GoSchema):
    sendID = GoString()
    groupID = GoString()
    senderNickname = GoString()
    senderFaceURL = GoString()
    senderPlatformID = GoInt("int32")
    content = GoObject()
    contentType = GoInt("int32")
    sessionType = GoInt("int32")
    isOnlineOnly = GoBool()
    notOfflinePush = GoBool()
    sendTime = GoInt("int64")
    offlinePushInfo = GoNested(OfflinePushInfoSchema)
    ex = GoString()


class SendMsgReqSchema(_SendFields):
    recvID = GoString()


class BatchSendMsgReqSchema(_SendFields):
    isSendAll = GoBool()
    recvIDs = strs()


class SendBusinessNotificationReqSchema(GoSchema):
    key = GoString()
    data = GoString()
    sendUserID = GoString()
    recvUserID = GoString()


class RevokeMsgReqSchema(GoSchema):
    conversationID = GoString()
    seq = GoInt("int64")
    userID = GoString()


class GetMaxSeqReqSchema(GoSchema):
    userID = GoString()


class SeqRangeSchema(GoSchema):
    conversationID = GoString()
    begin = GoInt("int64")
    end = GoInt("int64")
    num = GoInt("int64")


class PullMessageBySeqsReqSchema(GoSchema):
    userID = GoString()
    seqRanges = GoList(GoNested(SeqRangeSchema))
    order = GoInt("int32")


class SearchMessageReqSchema(GoSchema):
    sendID = GoString()
    recvID = GoString()
    contentType = GoInt("int32")
    sendTime = GoString()
    sessionType = GoInt("int32")
    pagination = page()


class MarkMsgsAsReadReqSchema(GoSchema):
    conversationID = GoString()
    seqs = GoList(GoInt("int64"))
    userID = GoString()


class SetConversationHasReadSeqReqSchema(GoSchema):
    conversationID = GoString()
    userID = GoString()
    hasReadSeq = GoInt("int64")
    noNotification = GoBool()


class GetConversationsHasReadAndMaxSeqReqSchema(GoSchema):
    userID = GoString()
    conversationIDs = strs()
    returnPinned = GoBool()


class DeleteMsgPhysicalBySeqReqSchema(GoSchema):
    conversationID = GoString()
    seqs = GoList(GoInt("int64"))


class GetServerTimeReqSchema(GoSchema):
    pass


class DeleteSyncOptSchema(GoSchema):
    IsSyncSelf = GoBool()
    IsSyncOther = GoBool()


class ClearConversationsMsgReqSchema(GoSchema):
    conversationIDs = strs()
    userID = GoString()
    deleteSyncOpt = GoNested(DeleteSyncOptSchema)


class UserClearAllMsgReqSchema(GoSchema):
    userID = GoString()
    deleteSyncOpt = GoNested(DeleteSyncOptSchema)


class DeleteMsgsReqSchema(GoSchema):
    conversationID = GoString()
    seqs = GoList(GoInt("int64"))
    userID = GoString()
    deleteSyncOpt = GoNested(DeleteSyncOptSchema)


class MarkConversationAsReadReqSchema(GoSchema):
    conversationID = GoString()
    userID = GoString()
    hasReadSeq = GoInt("int64")
    seqs = GoList(GoInt("int64"))


class DeleteMsgPhysicalReqSchema(GoSchema):
    conversationIDs = strs()
    timestamp = GoInt("int64")


class GetSendMsgStatusReqSchema(GoSchema):
    """No fields: the status is looked up by the request's operationID header."""
