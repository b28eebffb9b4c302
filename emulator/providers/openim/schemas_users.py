"""Request bodies of the remaining /user routes (reference openim-users-messages-webhooks.md §1;
[proto] user/user.proto, msggateway/msggateway.proto). Field names are the proto's JSON names."""

from __future__ import annotations

from .schemas import UserInfoSchema, page, strs
from .schemas_base import GoInt, GoNested, GoSchema, GoString, StringValue


class GetPaginationUsersReqSchema(GoSchema):
    pagination = page()
    userID = GoString()
    nickName = GoString()


class UpdateUserInfoReqSchema(GoSchema):
    userInfo = GoNested(UserInfoSchema)


class GetUsersOnlineStatusReqSchema(GoSchema):
    """apistruct / msggateway GetUsersOnlineStatusReq: bound by gin (HTTP 400 on a bad body)."""
    userIDs = strs()


class ProcessUserCommandAddReqSchema(GoSchema):
    userID = GoString()
    type = GoInt("int32")
    uuid = GoString()
    value = StringValue()
    ex = StringValue()


class ProcessUserCommandDeleteReqSchema(GoSchema):
    userID = GoString()
    type = GoInt("int32")
    uuid = GoString()


class ProcessUserCommandUpdateReqSchema(ProcessUserCommandAddReqSchema):
    pass


class ProcessUserCommandGetReqSchema(GoSchema):
    userID = GoString()
    type = GoInt("int32")


class ProcessUserCommandGetAllReqSchema(GoSchema):
    userID = GoString()
