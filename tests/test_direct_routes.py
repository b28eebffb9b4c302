"""app.EmulatorApp: requests to a fixed path skip the router through a table built once. The
table must give exactly what the router gives, and everything else must still reach the router."""

from __future__ import annotations

from aiohttp.test_utils import make_mocked_request

from emulator.app import RUNTIME, create_app
from emulator.settings import Settings
from tests.tencent_support import tencent_query


async def test_table_agrees_with_the_router():
    app = create_app(Settings(port=0))
    app.freeze()
    assert len(app._direct) > 200        # every provider route at a fixed path, the control plane's
    for (method, path), (match, handler) in app._direct.items():
        req = make_mocked_request(method, path, app=app)
        resolved = await app.router.resolve(req)
        assert resolved.route is match.route, (method, path)
        assert resolved.handler is handler
        assert match.apps == (app,) and resolved.get_info() == match.get_info()
    # every provider route at a fixed path is in it, under its own method only
    for provider in app[RUNTIME].providers.values():
        for route in provider.route_table():
            if route.path and "{" not in route.path and route.method != "*":
                assert (route.method, route.path) in app._direct, (route.method, route.path)
    assert ("GET", "/v4/group_open_http_svc/get_group_info") not in app._direct
    assert ("POST", "/v4/group_open_http_svc/get_group_info") in app._direct


async def test_requests_beside_the_table_still_route(client, tim):
    # a method the path does not serve: the Tencent catch-all answers (60002)
    resp = await client.get("/v4/group_open_http_svc/get_group_info", params=tencent_query())
    assert (await resp.json())["ErrorCode"] == 60002
    # a path in the table, with a percent-encoded letter: the router's decoded path finds it
    resp = await client.post("/v4/group_open_http_svc/get_group_%69nfo", params=tencent_query(),
                             json={"GroupIdList": ["nope"]})
    assert (await resp.json())["GroupInfo"][0]["ErrorCode"] == 10010
    # Expect: 100-continue goes through aiohttp's own handling
    resp = await client.post("/v4/group_open_http_svc/get_group_info", params=tencent_query(),
                             json={"GroupIdList": ["nope"]}, expect100=True)
    assert (await resp.json())["GroupInfo"][0]["ErrorCode"] == 10010
    # control plane and unknown paths as before
    assert (await client.get("/_emulator/health")).status == 200
    resp = await client.get("/_emulator/nothing")
    assert resp.status == 404 and (await resp.json())["error"] == "not found"
    # the match info handlers see is the router's
    assert (await tim("get_group_info", {"GroupIdList": ["nope"]}))["GroupInfo"][0]["ErrorCode"] == 10010


async def test_no_table_with_middlewares():
    from aiohttp import web

    from emulator.app import direct_routes

    @web.middleware
    async def mw(request, handler):
        return await handler(request)

    app = create_app(Settings(port=0))
    app.middlewares.append(mw)
    app.freeze()
    assert app._direct == {} and direct_routes(app) == {}


async def test_response_prepare_handlers_still_run(aiohttp_client):
    """Provider replies skip web.Response only while the app has no on_response_prepare handler."""
    plain = create_app(Settings(port=0))
    client = await aiohttp_client(plain)
    assert plain[RUNTIME].plain_replies is True

    async def stamp(request, response):
        response.headers["X-Stamped"] = "yes"

    app = create_app(Settings(port=0))
    app.on_response_prepare.append(stamp)
    client = await aiohttp_client(app)
    assert app[RUNTIME].plain_replies is False
    resp = await client.post("/v4/group_open_http_svc/get_group_info", params=tencent_query(),
                             json={"GroupIdList": ["nope"]})
    assert resp.headers["X-Stamped"] == "yes"
    assert (await resp.json())["GroupInfo"][0]["ErrorCode"] == 10010


async def test_without_the_private_attributes_every_request_routes(monkeypatch, aiohttp_client):
    # an aiohttp/yarl without the attributes direct_routes reads: an empty table, same answers
    import emulator.app as app_module

    def missing(app):
        raise AttributeError("path_safe")
    monkeypatch.setattr(app_module, "direct_routes", missing)
    app = create_app(Settings(port=0))
    client = await aiohttp_client(app)
    assert app._direct == {}
    resp = await client.post("/v4/group_open_http_svc/get_group_info", params=tencent_query(),
                             json={"GroupIdList": ["nope"]})
    assert (await resp.json())["GroupInfo"][0]["ErrorCode"] == 10010
