"""pytest plugin (entry point ``pytest11``): the ``im_emulator`` fixture.

A project that installs im-emulator gets, in every test that asks for it, a running emulator::

    def test_create_group(im_emulator):
        backend = MyBackend(tencent_base_url=im_emulator.url)
        backend.create_group("g1")
        assert im_emulator.journal(provider="tencent", api="group_open_http_svc/create_group")

    @pytest.mark.im_emulator_scenario("scenarios/big_app.yaml")
    def test_with_my_scenario(im_emulator): ...

One in-process server is started per scenario and per session (on a free 127.0.0.1 port, in a
background thread with its own event loop) and shut down at session end. Before every test it is
put back to its scenario: state reset, faults back to the scenario's own, journal emptied, clock
real. Control-plane helpers use only the standard library (urllib), so tests may be sync or async.

This module is loaded in every pytest run of a project that has im-emulator installed, so it
imports nothing heavy at module level: aiohttp and the emulator load only when the fixture is used.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

MARKER = "im_emulator_scenario"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
CONTROL = "/_emulator"


class EmulatorControlError(Exception):
    """A control-plane call answered with an HTTP error; ``status`` and ``body`` say why."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        self.status, self.body = status, body
        super().__init__(f"{method} {path} -> HTTP {status}: {body}")


# --- the server ------------------------------------------------------------------------------
class EmulatorServer:
    """An im-emulator app served from a daemon thread running its own asyncio event loop."""

    def __init__(self, scenario: Path | None, host: str = "127.0.0.1") -> None:
        self.scenario = scenario
        self.host = host
        self.port = 0
        self.runtime = None  # emulator.app.Runtime, owned by the server thread
        self._loop = None
        self._runner = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "EmulatorServer":
        import asyncio

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="im-emulator", daemon=True)
        self._thread.start()
        try:
            fut = asyncio.run_coroutine_threadsafe(self._serve(), self._loop)
            self.port = fut.result(timeout=START_TIMEOUT_S)
        except BaseException:
            self.stop()
            raise
        return self

    async def _serve(self) -> int:
        from aiohttp import web

        from emulator.app import RUNTIME, create_app
        from emulator.settings import Settings

        app = create_app(Settings(host=self.host, port=0, scenario=self.scenario))
        self.runtime = app[RUNTIME]
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        return site._server.sockets[0].getsockname()[1]

    def run(self, coro_fn, timeout: float = START_TIMEOUT_S):
        """Run ``coro_fn()`` on the server's loop and return its result (for in-process work)."""
        import asyncio

        return asyncio.run_coroutine_threadsafe(coro_fn(), self._loop).result(timeout=timeout)

    def reload_scenario(self) -> None:
        """Reload the scenario file the server started with (replacing whatever a test loaded)."""
        async def _reload():
            rt = self.runtime
            rt.load_scenario_file(self.scenario if self.scenario else rt.settings.scenario_path())
        self.run(_reload)

    def stop(self) -> None:
        import asyncio

        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            if self._runner is not None and loop.is_running():
                asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(timeout=STOP_TIMEOUT_S)
        finally:
            self._runner = None
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=STOP_TIMEOUT_S)
            if not loop.is_running():
                loop.close()


# --- what a test gets ------------------------------------------------------------------------
class ImEmulator:
    """Handle on a running emulator: ``url`` plus helpers for the /_emulator/ control plane.

    Every helper returns the decoded JSON answer and raises EmulatorControlError on an HTTP error.
    """

    def __init__(self, server: EmulatorServer, base_dir: Path | None = None,
                 timeout: float = 30.0) -> None:
        self._server = server
        self._base_dir = base_dir
        self.timeout = timeout

    @property
    def url(self) -> str:
        """Base URL of the emulator, e.g. ``http://127.0.0.1:40123``; every provider is under it."""
        return self._server.url

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def scenario(self) -> Path | None:
        """The scenario file this server was started with (None = the shipped default.yaml)."""
        return self._server.scenario

    def __repr__(self) -> str:
        return f"<ImEmulator {self.url} scenario={self.scenario or 'default'}>"

    # generic HTTP ------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, json_body: Any = None, data: bytes | str | None = None,
                query: dict | None = None, headers: dict | None = None) -> tuple[int, Any]:
        """Any request to the emulator (control plane or provider): returns (status, decoded body).

        The body is decoded as JSON when it is JSON, else returned as text.
        """
        url = self.url + path
        if query:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(
                {k: v for k, v in query.items() if v is not None})
        hdrs = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif isinstance(data, str):
            data = data.encode()
        req = urllib.request.Request(url, data=data, method=method.upper(), headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        text = raw.decode("utf-8", "replace")
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def _control(self, method: str, path: str, ok: tuple[int, ...] = (200, 201), **kw) -> Any:
        status, body = self.request(method, CONTROL + path, **kw)
        if status not in ok:
            raise EmulatorControlError(method, CONTROL + path, status, body)
        return body

    # control plane -----------------------------------------------------------------------------
    def health(self) -> dict:
        return self._control("GET", "/health")

    def reset(self, provider: str | None = None, tenant: str | None = None) -> dict:
        """State back to the loaded scenario's initial state (optionally one provider / tenant)."""
        return self._control("POST", "/reset", query={"provider": provider, "tenant": tenant})

    def state(self, provider: str | None = None, tenant: str | None = None) -> dict:
        """The whole state as JSON, narrowed to one provider (and tenant) when given."""
        return self._control("GET", "/state", query={"provider": provider, "tenant": tenant})

    def set_state(self, data: dict, provider: str | None = None, tenant: str | None = None) -> dict:
        """Load a dump as returned by state() (PUT /_emulator/state)."""
        return self._control("PUT", "/state", json_body=data, query={"provider": provider, "tenant": tenant})

    def journal(self, **filters: Any) -> list[dict]:
        """Recorded exchanges, oldest first; filters: provider, api, tenant, limit."""
        return self._control("GET", "/journal", query=filters)["entries"]

    def clear_journal(self) -> dict:
        return self._control("DELETE", "/journal")

    def faults(self) -> list[dict]:
        return self._control("GET", "/faults")["faults"]

    def add_fault(self, **spec: Any) -> dict:
        """Inject a fault: provider, api, tenant?, after?, times?, error?, message?, http_status?,
        delay_ms?. Returns the fault as stored (with its id)."""
        return self._control("POST", "/faults", json_body=spec)

    def clear_faults(self, fault_id: int | None = None) -> dict:
        return self._control("DELETE", "/faults" if fault_id is None else f"/faults/{fault_id}")

    def clock(self) -> dict:
        return self._control("GET", "/clock")

    def freeze_clock(self, t: float) -> dict:
        """Freeze the emulator's clock at epoch second ``t``."""
        return self._control("POST", "/clock", json_body={"freeze_at": t})

    def advance_clock(self, s: float) -> dict:
        """Move the emulator's clock ``s`` seconds forward (frozen or not)."""
        return self._control("POST", "/clock", json_body={"advance_s": s})

    def real_clock(self) -> dict:
        return self._control("POST", "/clock", json_body={"real": True})

    def load_scenario(self, path_or_dict: str | Path | dict, merge: bool = False) -> dict:
        """Replace (or, with merge=True, add to) the scenario and state.

        A dict is sent as JSON; a path (relative paths are looked up like the marker's) is sent as
        the file's text. The next test gets the fixture's own scenario back.
        """
        if isinstance(path_or_dict, dict):
            kw: dict = {"json_body": path_or_dict}
        else:
            kw = {"data": resolve_scenario(path_or_dict, self._base_dir).read_bytes(),
                  "headers": {"Content-Type": "application/yaml"}}
        return self._control("POST", "/scenario", query={"mode": "merge" if merge else None}, **kw)

    def set_online(self, provider: str, tenant: str, user: str, platform: Any = None,
                   online: bool = True) -> dict:
        """Mark ``user`` online (or, with online=False, offline) on ``platform`` in the provider's
        own spelling; offline without a platform means every platform. Returns the user's view."""
        body = {"provider": provider, "tenant": str(tenant), "user": user, "online": online}
        if platform is not None:
            body["platform"] = platform
        return self._control("POST", "/presence", json_body=body)

    def presence(self, provider: str, tenant: str, user: str | None = None) -> dict:
        """One user's platforms ({online, platforms}) or, without a user, every online user."""
        return self._control("GET", "/presence",
                             query={"provider": provider, "tenant": str(tenant), "user": user})

    def check_token(self, provider: str, tenant: str, token: str) -> dict:
        """Would a client presenting ``token`` be let in now? {valid, reason, user, platform,
        expires_at}; reasons: ok, never issued, revoked: <why>, expired, user <blocked ...>."""
        return self._control("POST", "/tokens/check",
                             json_body={"provider": provider, "tenant": str(tenant), "token": token})

    def credentials(self, provider: str, tenant: str | None = None, **params: Any) -> dict:
        """A credential minted now on the emulator clock (GET /_emulator/credentials): tencent
        (``usersig``, ``query``), tencent-gateway / openim (``token``, ``headers``), rongcloud
        (``headers``); params such as identifier=, user=, expire=, path=, body=."""
        return self._control("GET", "/credentials",
                             query={"provider": provider, "tenant": tenant, **params})

    def messages(self, **filters: Any) -> list[dict]:
        """Stored messages, oldest first: filters provider, tenant, conversation, user (that user's
        inbox), since (epoch seconds); every page of GET /_emulator/messages is read."""
        out: list[dict] = []
        offset: int | None = 0
        while offset is not None:
            page = self._control("GET", "/messages", query={**filters, "offset": offset, "limit": 1000})
            out.extend(page["messages"])
            offset = page["next_offset"]
        return out

    def wait_for_message(self, timeout: float = 5.0, interval: float = 0.05, **filters: Any) -> dict:
        """The first stored message matching ``filters`` (as for messages()), polling until
        ``timeout`` seconds have passed; raises TimeoutError naming the filters otherwise.
        ``text=`` additionally requires that substring in the message body's JSON."""
        import time as _time

        text = filters.pop("text", None)
        deadline = _time.monotonic() + timeout
        while True:
            for msg in self.messages(**filters):
                if text is None or text in json.dumps(msg["body"], ensure_ascii=False):
                    return msg
            if _time.monotonic() >= deadline:
                raise TimeoutError(f"no message matching {filters}{f' with {text!r}' if text else ''}"
                                   f" within {timeout}s")
            _time.sleep(interval)

    def check(self) -> dict:
        """Check the state's invariants; raises AssertionError listing the problems, if any."""
        body = self._control("GET", "/state/check", ok=(200, 409))
        if not body.get("ok"):
            problems = [f"{prov}: {p}" for prov, ps in body.get("problems", {}).items() for p in ps]
            raise AssertionError("im-emulator state is inconsistent:\n" + "\n".join(problems))
        return body

    # callbacks (webhooks) -------------------------------------------------------------------
    def callbacks(self, command: str | None = None, *, provider: str | None = None,
                  tenant: str | None = None, outcome: str | None = None, kind: str | None = None,
                  since: int | None = None, limit: int | None = None) -> list[dict]:
        """Recorded callback deliveries (GET /_emulator/callbacks), oldest first."""
        return self._control("GET", "/callbacks", query={
            "command": command, "provider": provider, "tenant": tenant, "outcome": outcome,
            "kind": kind, "since": since, "limit": limit})["deliveries"]

    def wait_for_callback(self, command: str, timeout: float = 5.0, **filters: Any) -> dict:
        """The first settled delivery of ``command`` (after-hooks are sent after the reply);
        raises AssertionError when none arrives within ``timeout`` seconds."""
        q = {"command": command, "wait": timeout, **filters}
        rows = self._control("GET", "/callbacks", query=q)["deliveries"]
        settled = [r for r in rows if r["outcome"] is not None]
        if not settled:
            raise AssertionError(f"no {command} callback within {timeout} s")
        return settled[0]

    def clear_callbacks(self) -> dict:
        return self._control("DELETE", "/callbacks")

    def set_callback_config(self, provider: str, tenant: str | int, url: str | None = None, **config: Any) -> dict:
        """Configure a tenant's callbacks live (PUT /_emulator/callbacks/config); until the
        next test, which gets the scenario's configuration back."""
        return self._control("PUT", "/callbacks/config", json_body={
            "provider": provider, "tenant": str(tenant), "url": url, **config})

    def point_callbacks(self, provider: str, tenant: str | int, url: str | None) -> dict:
        """Keep the tenant's callback configuration (from the scenario) but send to ``url``:
        a test's receiver listens on a port the scenario cannot know."""
        configs = self._control("GET", "/callbacks/config")["configs"]
        current = next((c for c in configs if c["provider"] == provider and c["tenant"] == str(tenant)), None)
        if current is None:
            raise EmulatorControlError("PUT", CONTROL + "/callbacks/config", 404,
                                       f"no callback configuration for {provider} tenant {tenant}")
        return self._control("PUT", "/callbacks/config", json_body={**current, "url": url})

    # between tests -----------------------------------------------------------------------------
    def _restore(self) -> None:
        """Put the server back to its scenario: state, faults, rate limits, journal, clock."""
        rt = self._server.runtime
        source = str(self.scenario) if self.scenario else str(rt.settings.scenario_path())
        if rt.scenario_source != source:
            # A test replaced or merged a scenario: reload the file (also restores its faults).
            self._server.reload_scenario()
        else:
            self.reset()
            self.clear_faults()
            scenario_faults = getattr(self._server, "scenario_faults", None)
            if scenario_faults is None:
                scenario_faults = self._server.scenario_faults = _scenario_faults(Path(source))
            for spec in scenario_faults:
                self.add_fault(**spec)
        self.clear_journal()
        self.real_clock()

        async def _callbacks():
            rt = self._server.runtime
            rt.callbacks.configure(list(rt.scenario_callbacks))
            rt.callbacks.clear()
        self._server.run(_callbacks)


def _scenario_faults(path: Path) -> list[dict]:
    import yaml

    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return list(doc.get("faults") or [])


def resolve_scenario(name: str | Path, base_dir: Path | None = None) -> Path:
    """Find a scenario file: absolute as given; else next to the test module, under the
    rootdir / current directory, or among the shipped fixtures (``"empty.yaml"``)."""
    p = Path(name)
    if p.is_absolute():
        return p
    candidates = [base_dir / p] if base_dir else []
    candidates.append(Path.cwd() / p)
    from emulator.settings import fixtures_dir
    candidates.append(fixtures_dir() / p)
    for c in candidates:
        if c.is_file():
            return c.resolve()
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"im_emulator: scenario {str(name)!r} not found (looked at {tried})")


# --- a callback receiver ----------------------------------------------------------------------
class CallbackReceiver:
    """A tiny aiohttp server on 127.0.0.1 standing in for the app's server: it records every
    callback and answers as told. Provider is told apart the way each cloud calls: Tencent puts
    ``CallbackCommand`` in the query, OpenIM posts to ``<url>/<command>``, RongCloud signs with
    ``nonce``/``signature``.

    ``reply(command, body=None, status=200, delay=0.0)`` sets the answer for one command
    (``"*"`` for all; ``body`` may be a function of the received body, to answer per subject); ``refuse(command, code, message)`` and ``override(command, **fields)``
    build each provider's refusal / change. Default answers accept.
    """

    ACCEPT = {"tencent": {"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0},
              "openim": {"actionCode": 0, "errCode": 0, "errMsg": "", "errDlt": "", "nextCode": 0},
              "rongcloud": {"pass": 1}}

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.replies: dict[str, tuple[int, Any, float]] = {}
        self.url = ""
        self._server = None

    @staticmethod
    def command_of(path: str, query: dict) -> tuple[str, str]:
        if "CallbackCommand" in query:
            return "tencent", query["CallbackCommand"]
        if "signature" in query or "nonce" in query:
            return "rongcloud", path.rstrip("/").rsplit("/", 1)[-1]
        return "openim", path.rstrip("/").rsplit("/", 1)[-1]

    def reply(self, command: str, body: Any = None, status: int = 200, delay: float = 0.0) -> None:
        self.replies[command] = (status, body, delay)

    def refuse(self, command: str, code: int = 1, message: str = "refused") -> None:
        if command.startswith(("Group.", "C2C.", "State.", "Profile.")):
            body = {"ActionStatus": "FAIL", "ErrorInfo": message, "ErrorCode": code}
        elif command.startswith("callback"):
            body = {"actionCode": 0, "errCode": code, "errMsg": message, "errDlt": "", "nextCode": 1}
        else:
            body = {"pass": 0, "extra": message}
        self.reply(command, body)

    def override(self, command: str, **fields: Any) -> None:
        if command.startswith(("Group.", "C2C.")):
            body = {"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0, **fields}
        elif command.startswith("callback"):
            body = {"actionCode": 0, "errCode": 0, "errMsg": "", "errDlt": "", "nextCode": 0, **fields}
        else:
            body = {"pass": 1, **fields}
        self.reply(command, body)

    def commands(self) -> list[str]:
        return [r["command"] for r in self.received]

    def app(self):
        import asyncio

        from aiohttp import web

        async def handle(request: web.Request) -> web.StreamResponse:
            raw = await request.read()
            query = dict(request.query)
            provider, command = self.command_of(request.path, query)
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = dict(urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True))
            self.received.append({"provider": provider, "command": command, "path": request.path,
                                  "query": query, "headers": dict(request.headers), "body": body})
            status, reply, delay = self.replies.get(command) or self.replies.get("*") or (200, None, 0.0)
            if delay:
                await asyncio.sleep(delay)
            if callable(reply):
                reply = reply(body)
            if reply is None:
                reply = self.ACCEPT[provider]
            if isinstance(reply, str):
                return web.Response(status=status, text=reply)
            return web.json_response(reply, status=status)

        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", handle)
        return app

    def start(self) -> "CallbackReceiver":
        """Serve from a background thread (for sync tests and the im_emulator fixture)."""
        self._server = _ThreadedApp(self.app).start()
        self.url = f"http://127.0.0.1:{self._server.port}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


class _ThreadedApp(EmulatorServer):
    """Any aiohttp app served from a daemon thread (reuses EmulatorServer's loop handling)."""

    def __init__(self, make_app) -> None:
        super().__init__(None)
        self._make_app = make_app

    async def _serve(self) -> int:
        from aiohttp import web

        self._runner = web.AppRunner(self._make_app())
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        return site._server.sockets[0].getsockname()[1]


# --- pytest hooks and fixtures ------------------------------------------------------------------
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(path): run the im_emulator fixture on this scenario YAML (absolute, relative to "
        "the test file or the current directory, or a shipped one such as 'empty.yaml')",
    )


class _ServerPool:
    """One server per scenario for the whole session."""

    def __init__(self) -> None:
        self.servers: dict[str, EmulatorServer] = {}
        self.failed: dict[str, str] = {}

    def get(self, scenario: Path | None) -> EmulatorServer:
        key = str(scenario) if scenario else ""
        if key in self.failed:
            pytest.fail(self.failed[key], pytrace=False)
        server = self.servers.get(key)
        if server is None:
            try:
                server = EmulatorServer(scenario).start()
            except Exception as exc:  # a bad scenario: say so once, per test, without a traceback
                self.failed[key] = f"im_emulator could not start on {key or 'the default scenario'}:\n{exc}"
                pytest.fail(self.failed[key], pytrace=False)
            self.servers[key] = server
        return server

    def close(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()


@pytest.fixture(scope="session")
def _im_emulator_pool():
    pool = _ServerPool()
    yield pool
    pool.close()


@pytest.fixture
def im_emulator(request: pytest.FixtureRequest, _im_emulator_pool: _ServerPool) -> ImEmulator:
    """A running im-emulator on 127.0.0.1, back to its scenario's initial state for this test."""
    base_dir = Path(str(request.path)).parent if getattr(request, "path", None) else None
    marker = request.node.get_closest_marker(MARKER)
    scenario = None
    if marker is not None:
        if len(marker.args) != 1 or marker.kwargs:
            pytest.fail(f"@pytest.mark.{MARKER} takes exactly one argument: the scenario path",
                        pytrace=False)
        try:
            scenario = resolve_scenario(marker.args[0], base_dir)
        except FileNotFoundError as exc:
            pytest.fail(str(exc), pytrace=False)
    server = _im_emulator_pool.get(scenario)
    emu = ImEmulator(server, base_dir)
    emu._restore()
    return emu


@pytest.fixture
def callback_receiver():
    """A CallbackReceiver on 127.0.0.1 for this test; point a tenant at ``callback_receiver.url``
    with ``im_emulator.set_callback_config(...)`` or the scenario's ``callbacks:`` section."""
    receiver = CallbackReceiver().start()
    yield receiver
    receiver.stop()
