"""The callback (webhook) delivery engine: the emulator calling the app's own server.

Provider-neutral. A provider's ``callbacks.py`` supplies a ``CallbackSpec``: its command catalogue
(kind, default timeout, retries), the config schema for its part of a tenant's configuration, and a
function turning (config, command, body) into a ``Hook`` (URL, query, headers, bytes, signer).

- Before-hooks: a handler that needs one returns ``Pending(hook, apply)`` instead of its result.
  The pipeline awaits ``engine.before(hook)`` (outside any state change) and calls
  ``apply(outcome)``, which re-checks what the wait could have changed and either raises the
  provider's error or changes the state and returns the reply (or another ``Pending``).
- Late before-hooks: what a cloud asks after its reply (OpenIM's notifications) goes to
  ``engine.settle_later(call, pending)``: the chain runs in a task, each outcome logged with the
  request (``log_later``) before it applies; at most LATER_CAP at once (past it the request runs
  the chain itself, before its reply).
- After-hooks: handlers call ``emit(call, hook)`` after their state change; the pipeline hands the
  hooks to ``engine.enqueue`` once the request succeeded. One FIFO per (provider, tenant), one
  worker each, so a tenant's deliveries arrive in order; a bounded queue, overflow counted.
- Every attempt is recorded (bounded, drops counted): command, URL, headers, body, reply, latency,
  outcome. Faults with ``callback: <command>`` act on deliveries (delay, drop, receiver down,
  HTTP status).
- Replay (durability) switches delivery off with ``engine.suspended = True``; a before-hook then
  gets the outcome recorded when the request first ran (``call.extra['callback_outcomes']``), or
  "not sent" when none was recorded, so replay makes the same decision without calling anyone.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode

import orjson
from marshmallow import RAISE, Schema, ValidationError, fields, validate

RECORD_CAP = 5000          # deliveries kept for /_emulator/callbacks (oldest dropped, counted)
QUEUE_CAP = 1000           # after-hooks waiting per tenant before overflow is counted and dropped
# Chains settle_later runs at once; past it a request asks its hooks itself, before its reply
# (back-pressure instead of unbounded tasks when a receiver is slow; counted in stats)
LATER_CAP = 1000
# After-callbacks yield to a busy server: a delivery waits while requests keep arriving (one in
# the last QUIET_S), at most YIELD_MAX_S, and never while its queue is more than half full
# (emulator choice: the clouds deliver after-callbacks asynchronously too; the wait keeps a burst
# of writes at full speed and sends the callbacks, in order, right after it).
YIELD_MAX_S = 0.1
YIELD_STEP_S = 0.002
QUIET_S = 0.005
MAX_REPLY_BYTES = 64 * 1024  # a reply body larger than this is cut in the record

# outcomes of one attempt
DELIVERED, REFUSED, TIMED_OUT, FAILED, RETRIED = "delivered", "refused", "timed out", "failed", "retried"
NOT_SENT, DROPPED, OVERFLOW = "not sent: no url", "dropped", "dropped: queue full"


@dataclass(frozen=True)
class Command:
    """One callback the provider can send: ``kind`` "before" (blocks the request) or "after"."""

    name: str
    kind: str
    timeout_s: float
    retries: int = 0


@dataclass
class Hook:
    """One delivery: ``signer(now)`` returns the query parameters that depend on send time."""

    provider: str
    tenant: str
    command: str
    kind: str
    url: str | None
    body: bytes
    content_type: str = "application/json"
    query: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    signer: Callable[[float], dict] | None = None
    timeout_s: float = 2.0
    retries: int = 0
    meta: dict = field(default_factory=dict)   # the provider's own notes for reading the reply
    retry_on: tuple = ("timed out", "failed")  # outcomes of an attempt that earn a retry


@dataclass
class Outcome:
    """What a before-hook's delivery came to; ``reply`` is the parsed JSON (None when not JSON)."""

    status: str                     # delivered / timed out / failed / not sent / dropped
    http_status: int | None = None
    reply: Any = None
    text: str = ""
    error: str = ""
    record: dict | None = None

    @property
    def answered(self) -> bool:
        return self.status == DELIVERED

    def refused(self, reason: str = "") -> None:
        """The provider read the reply as a refusal: the record says so."""
        if self.record is not None:
            self.record["outcome"] = REFUSED
            if reason:
                self.record["error"] = reason

    def as_json(self) -> dict:
        return {"status": self.status, "http_status": self.http_status, "reply": self.reply,
                "text": self.text, "error": self.error}

    @classmethod
    def from_json(cls, d: dict) -> "Outcome":
        return cls(d["status"], d.get("http_status"), d.get("reply"), d.get("text", ""), d.get("error", ""))


class _TimedOut(Exception):
    """A delay fault longer than the delivery's timeout."""


class Pending:
    """A handler's answer when a before-hook must be asked first."""

    __slots__ = ("hook", "apply")

    def __init__(self, hook: Hook, apply: Callable[[Outcome], Any]) -> None:
        self.hook, self.apply = hook, apply


def ask(hook: Hook | None, apply: Callable[[Outcome | None], Any]):
    """``apply(None)`` right away when no hook is configured, else a Pending for the pipeline."""
    return apply(None) if hook is None else Pending(hook, apply)


def settle_offline(result, outcomes: list[dict] | None = None):
    """Run a handler's Pending chain without sending anything (a durable log's replay, which
    cannot await): each before-hook gets the outcome recorded when the request first ran, in
    order, so the request takes the same decision again. When the recorded outcomes run out
    first, the chain is left as it is (a Pending: nothing has changed) and returned."""
    queue = list(outcomes or ())
    while type(result) is Pending and queue:
        result = result.apply(Outcome.from_json(queue.pop(0)))
    return result


def emit(call, hook: Hook | None) -> None:
    """Queue an after-hook with the request; sent only if the request succeeds."""
    if hook is not None:
        call.extra.setdefault("after_hooks", []).append(hook)


# --- configuration ----------------------------------------------------------------------------
class CallbackConfigSchema(Schema):
    """The provider-neutral part of one tenant's callback configuration (scenario ``callbacks:``
    or PUT /_emulator/callbacks/config). Providers subclass it with their own settings."""

    class Meta:
        unknown = RAISE

    provider = fields.String(required=True)
    tenant = fields.String(required=True)
    url = fields.String(load_default=None, allow_none=True,
                        validate=validate.Regexp(r"^https?://", error="url must start with http:// or https://"))
    commands = fields.Raw(load_default="all")     # "all" or a list of command names
    timeout_ms = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=600_000))
    retries = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=10))
    queue_size = fields.Integer(load_default=QUEUE_CAP, validate=validate.Range(min=1, max=100_000))


@dataclass
class TenantConfig:
    provider: str
    tenant: str
    url: str | None
    enabled: frozenset
    timeout_ms: int | None
    retries: int | None
    queue_size: int
    settings: dict          # the provider's own keys, as validated
    source: dict            # the validated document, for GET

    def on(self, command: str) -> bool:
        return command in self.enabled


class CallbackSpec:
    """What a provider hands the engine: its commands and its config schema."""

    def __init__(self, provider: str, commands: list[Command], schema: type[Schema],
                 enabled: Callable[[dict, dict], set] | None = None,
                 on_presence: Callable | None = None) -> None:
        # on_presence(engine, backend, change): a presence transition (core/presence.py), for
        # callbacks fired by who is online rather than by a request
        self.on_presence = on_presence
        self.provider = provider
        self.commands = {c.name: c for c in commands}
        self.schema = schema
        self._enabled = enabled

    def enabled_set(self, data: dict) -> set:
        if self._enabled is not None:
            return self._enabled(data, self.commands)
        wanted = data["commands"]
        if wanted == "all":
            return set(self.commands)
        if not isinstance(wanted, list) or not all(isinstance(c, str) for c in wanted):
            raise ValidationError({"commands": ['"all" or a list of command names']})
        unknown = [c for c in wanted if c not in self.commands]
        if unknown:
            raise ValidationError({"commands": [f"unknown {self.provider} callback command: {c}" for c in unknown]})
        return set(wanted)


# --- the engine -------------------------------------------------------------------------------
class CallbackEngine:
    def __init__(self, clock, specs: dict[str, CallbackSpec], faults=None) -> None:
        self.clock = clock
        self.specs = specs
        self.faults = faults
        self.configs: dict[tuple[str, str], TenantConfig] = {}
        self.records: deque[dict] = deque(maxlen=RECORD_CAP)
        self.records_dropped = 0
        self.overflow: dict[str, int] = {}       # "provider/tenant" -> after-hooks dropped
        self.suspended = False                   # replay: deliver nothing
        self.last_request = 0.0                  # time.monotonic() of the last provider request
        # Replay of a durable log (core/persist.py): each request runs with the configuration it
        # was logged with (``replay_config``), whatever is configured now.
        self.replaying = False
        self.replay_config: TenantConfig | None = None
        self._replay_cache: dict[bytes, TenantConfig] = {}
        self._ids = itertools.count(1)
        self._queues: dict[tuple[str, str], deque] = {}
        self._workers: dict[tuple[str, str], asyncio.Task] = {}
        self._session = None
        self._timeouts: dict = {}
        self._waiters: list[asyncio.Future] = []
        # settle_later: before-hooks a provider asks after the reply (sends its server queues).
        # log_later(call, outcomes) is set by the app with a durable log: it logs the request
        # again with the outcomes so far and returns the commit to wait for (or None).
        self.log_later: Callable | None = None
        self._later: set[asyncio.Task] = set()
        self.later_inline = 0        # chains asked before the reply because LATER_CAP were running

    # configuration -------------------------------------------------------------------------
    def validate(self, doc: dict) -> TenantConfig:
        """One config entry -> TenantConfig, or ValidationError with field paths."""
        if not isinstance(doc, dict):
            raise ValidationError({"_schema": ["a callback configuration is a mapping"]})
        spec = self.specs.get(doc.get("provider"))
        if spec is None:
            raise ValidationError({"provider": [f"one of {sorted(self.specs)}"]})
        data = spec.schema().load(doc)
        enabled = spec.enabled_set(data)
        common = set(CallbackConfigSchema._declared_fields)
        return TenantConfig(data["provider"], str(data["tenant"]), data["url"], frozenset(enabled),
                            data["timeout_ms"], data["retries"], data["queue_size"],
                            {k: v for k, v in data.items() if k not in common}, data)

    def configure(self, configs: list[TenantConfig], merge: bool = False) -> None:
        if not merge:
            self.configs.clear()
        for c in configs:
            self.configs[(c.provider, c.tenant)] = c

    def set_config(self, cfg: TenantConfig) -> None:
        self.configs[(cfg.provider, cfg.tenant)] = cfg

    def remove_config(self, provider: str, tenant: str) -> bool:
        return self.configs.pop((provider, tenant), None) is not None

    def config(self, provider: str, tenant: str | None, command: str) -> TenantConfig | None:
        """The tenant's configuration when ``command`` is enabled for it, else None (the hot
        path: one dict lookup when nothing is configured)."""
        if self.replaying:
            cfg = self.replay_config
            return cfg if cfg is not None and cfg.provider == provider and command in cfg.enabled else None
        if not self.configs:
            return None
        cfg = self.configs.get((provider, tenant))
        return cfg if cfg is not None and command in cfg.enabled else None

    def active(self, provider: str, tenant: str | None) -> bool:
        """Whether the tenant has a callback configuration (the replayed one during a replay)."""
        if self.replaying:
            return self.replay_config is not None and self.replay_config.provider == provider
        return (provider, tenant) in self.configs

    # durable log (core/persist.py) ---------------------------------------------------------
    def logged_config(self, provider: str, tenant: str | None) -> dict | None:
        """What a log entry records of the configuration its request runs under."""
        cfg = self.configs.get((provider, tenant)) if self.configs else None
        return cfg.source if cfg is not None else None

    def replay_with(self, source: dict | None) -> None:
        """Run the next replayed request under the configuration its entry recorded."""
        if source is None:
            self.replay_config = None
            return
        key = orjson.dumps(source, option=orjson.OPT_SORT_KEYS)
        cfg = self._replay_cache.get(key)
        if cfg is None:
            if len(self._replay_cache) > 64:
                self._replay_cache.clear()
            cfg = self._replay_cache[key] = self.validate(source)
        self.replay_config = cfg

    def command(self, provider: str, name: str) -> Command:
        return self.specs[provider].commands[name]

    # records -------------------------------------------------------------------------------
    def _record(self, hook: Hook, url: str | None, headers: dict, attempt: int) -> dict:
        if len(self.records) == self.records.maxlen:
            self.records_dropped += 1
        # the body stays bytes here (decoded when listed): recording costs no parse per attempt
        rec = {"id": next(self._ids), "time": self.clock.now(), "provider": hook.provider,
               "tenant": hook.tenant, "command": hook.command, "kind": hook.kind, "url": url,
               "attempt": attempt, "request_headers": headers, "body": hook,
               "reply_status": None, "reply": None, "latency_ms": None, "outcome": None, "error": ""}
        self.records.append(rec)
        return rec

    @staticmethod
    def _body(hook: Hook) -> Any:
        try:
            if hook.content_type.startswith("application/json"):
                return orjson.loads(hook.body)
            return hook.body.decode()
        except ValueError:
            return hook.body.decode("utf-8", "replace")

    def render(self, rec: dict) -> dict:
        body = rec["body"]
        return {**rec, "body": self._body(body)} if isinstance(body, Hook) else rec

    def _settle(self, rec: dict) -> None:
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)
        self._waiters = [f for f in self._waiters if not f.done()]

    def list(self, provider=None, tenant=None, command=None, outcome=None, kind=None,
             since: int | None = None, limit: int | None = None) -> list[dict]:
        out = [r for r in self.records
               if (provider is None or r["provider"] == provider)
               and (tenant is None or r["tenant"] == tenant)
               and (command is None or r["command"] == command)
               and (outcome is None or r["outcome"] == outcome)
               and (kind is None or r["kind"] == kind)
               and (since is None or r["id"] > since)]
        return [self.render(r) for r in (out[-limit:] if limit else out)]

    def clear(self) -> int:
        n = len(self.records)
        self.records.clear()
        self.records_dropped = 0
        self.overflow.clear()
        return n

    def stats(self) -> dict:
        return {"recorded": len(self.records), "records_dropped": self.records_dropped,
                "record_cap": RECORD_CAP, "overflow": dict(self.overflow),
                "later": len(self._later), "later_cap": LATER_CAP, "later_inline": self.later_inline,
                "queued": {f"{p}/{t}": len(q) for (p, t), q in self._queues.items() if q}}

    async def wait_for(self, pred: Callable[[dict], bool], timeout: float) -> dict | None:
        """The first settled record matching ``pred``, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            for r in self.records:
                if r["outcome"] is not None and pred(r):
                    return self.render(r)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            fut = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await asyncio.wait_for(fut, left)
            except asyncio.TimeoutError:
                pass

    # asked after the reply --------------------------------------------------------------------
    def settle_later(self, call, result) -> bool:
        """Finish a request's Pending chain after its reply, the way a cloud sends what it
        queued during the request (OpenIM's notifications ask beforeSendGroupMsg only then):
        each before-hook is asked, logged with the request's outcomes so far (a durable log
        then replays the same decision at that entry), and applied; the after-hooks its applies
        emit are queued. Nothing happens during a replay (its entries settle it there).
        False when LATER_CAP chains are running: the caller hands the chain to the pipeline."""
        if self.suspended or type(result) is not Pending:
            return True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return True
        if len(self._later) >= LATER_CAP:
            self.later_inline += 1
            return False
        done = list(call.extra.get("callback_outcomes") or ())   # what the request's own hooks decided
        task = loop.create_task(self._settle_later(call, result, done))
        self._later.add(task)
        task.add_done_callback(self._later.discard)
        return True

    async def _settle_later(self, call, result, outcomes: list) -> None:
        from emulator.core.errors import ProviderError
        try:
            while type(result) is Pending:
                outcome = await self.before(result.hook, call)
                if self.log_later is not None:
                    outcomes.append(outcome.as_json())
                    commit = self.log_later(call, outcomes)
                    if commit is not None:
                        await commit       # not durable: not applied either (replay agrees)
                # the after-hooks this step emits go out now; the request's own list (which the
                # pipeline may still be about to queue) is left as it was
                own = call.extra.pop("after_hooks", None)
                try:
                    result = result.apply(outcome)
                finally:
                    fresh = call.extra.pop("after_hooks", None)
                    if own is not None:
                        call.extra["after_hooks"] = own
                    if fresh:
                        self.enqueue(fresh)
        except ProviderError:
            pass                           # the request's own answer, already sent
        except Exception:   # noqa: BLE001 - a bug or a failed commit: say it, keep serving
            import logging
            logging.getLogger("emulator.callbacks").exception("settling %s after the reply", call.api)

    async def settled(self) -> None:
        """Wait until every chain ``settle_later`` started has finished (tests, shutdown)."""
        while self._later:
            await asyncio.gather(*list(self._later), return_exceptions=True)

    # delivery ------------------------------------------------------------------------------
    async def before(self, hook: Hook, call=None) -> Outcome:
        """Send a before-hook once (they are never retried) and return what came back."""
        recorded = call.extra.get("replay_outcomes") if call is not None else None
        if self.suspended or recorded:
            d = recorded.pop(0) if recorded else {"status": NOT_SENT}
            return Outcome.from_json(d)
        outcome = await self._attempt(hook, 1, final=True)
        if call is not None:
            call.extra.setdefault("callback_outcomes", []).append(outcome.as_json())
        return outcome

    def enqueue(self, hooks: list[Hook]) -> None:
        """After-hooks of a request that succeeded: per-tenant FIFO, a worker delivers in order."""
        if self.suspended:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:        # outside the server's loop (a start-up replay): nothing to send on
            return
        for hook in hooks:
            key = (hook.provider, hook.tenant)
            q = self._queues.get(key)
            if q is None:
                q = self._queues[key] = deque()
            cfg = self.configs.get(key)
            cap = cfg.queue_size if cfg is not None else QUEUE_CAP
            if len(q) >= cap:
                label = f"{hook.provider}/{hook.tenant}"
                self.overflow[label] = self.overflow.get(label, 0) + 1
                rec = self._record(hook, hook.url, {}, 1)
                rec["outcome"] = OVERFLOW
                self._settle(rec)
                continue
            q.append(hook)
            worker = self._workers.get(key)
            if worker is None or worker.done():
                self._workers[key] = loop.create_task(self._drain(key))

    async def _drain(self, key) -> None:
        q = self._queues[key]
        while q:
            hook = q[0]
            cfg = self.configs.get(key)
            cap = cfg.queue_size if cfg is not None else QUEUE_CAP
            waited = 0.0
            while waited < YIELD_MAX_S and len(q) * 2 <= cap and time.monotonic() - self.last_request < QUIET_S:
                await asyncio.sleep(YIELD_STEP_S)
                waited += YIELD_STEP_S
            try:
                for attempt in range(1, hook.retries + 2):
                    last = attempt == hook.retries + 1
                    out = await self._attempt(hook, attempt, final=last)
                    if out.status not in hook.retry_on:
                        break
            finally:
                q.popleft()

    async def _attempt(self, hook: Hook, attempt: int, final: bool) -> Outcome:
        url = None
        if hook.url:
            url = hook.url
            query = urlencode(hook.query) if hook.query else ""
            if hook.signer is not None:
                signed = urlencode(hook.signer(self.clock.now()))
                query = f"{query}&{signed}" if query else signed
            if query:
                url += ("&" if "?" in url else "?") + query
        headers = {"Content-Type": hook.content_type, **hook.headers} if hook.headers \
            else {"Content-Type": hook.content_type}
        rec = self._record(hook, url, headers, attempt)
        fault = self.faults.match_callback(hook.provider, hook.command, hook.tenant) \
            if self.faults is not None else None
        started = time.perf_counter()
        try:
            if url is None:
                out = Outcome(NOT_SENT)
            elif fault is not None and fault.drop:
                out = Outcome(DROPPED, error=f"dropped by fault {fault.id}")
            else:
                if fault is not None and fault.delay_ms:
                    # a slow network: the wait counts against the timeout
                    if fault.delay_ms / 1000 >= hook.timeout_s:
                        await asyncio.sleep(hook.timeout_s)
                        raise _TimedOut(fault.id)
                    await asyncio.sleep(fault.delay_ms / 1000)
                if fault is not None and fault.down:
                    out = Outcome(FAILED, error=f"connection refused (fault {fault.id})")
                elif fault is not None and fault.http_status is not None:
                    out = Outcome(FAILED, http_status=fault.http_status,
                                  error=f"HTTP {fault.http_status} (fault {fault.id})")
                else:
                    out = await self._post(url, headers, hook)
        except _TimedOut as exc:
            out = Outcome(TIMED_OUT, error=f"no reply within {hook.timeout_s:g} s (delayed by fault {exc.args[0]})")
        except asyncio.CancelledError:
            rec["outcome"] = FAILED
            rec["error"] = "cancelled (emulator shutting down)"
            self._settle(rec)
            raise
        rec["latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
        rec["reply_status"] = out.http_status
        rec["reply"] = out.reply if out.reply is not None else (out.text or None)
        rec["error"] = out.error
        rec["outcome"] = out.status if (final or out.status not in hook.retry_on) else RETRIED
        out.record = rec
        self._settle(rec)
        return out

    async def _post(self, url: str, headers: dict, hook: Hook) -> Outcome:
        import aiohttp

        session = self._session if self._session is not None and not self._session.closed \
            else await self.session()
        timeout = self._timeouts.get(hook.timeout_s)
        if timeout is None:
            timeout = self._timeouts[hook.timeout_s] = aiohttp.ClientTimeout(total=hook.timeout_s)
        try:
            async with session.post(url, data=hook.body, headers=headers, timeout=timeout) as resp:
                raw = await resp.content.read(MAX_REPLY_BYTES)
                text = raw.decode("utf-8", "replace")
                try:
                    reply = orjson.loads(raw) if raw.strip() else None
                except orjson.JSONDecodeError:
                    reply = None
                if resp.status != 200:
                    return Outcome(FAILED, resp.status, reply, text, f"HTTP {resp.status}")
                return Outcome(DELIVERED, resp.status, reply, text)
        except asyncio.TimeoutError:
            return Outcome(TIMED_OUT, error=f"no reply within {hook.timeout_s:g} s")
        except aiohttp.ClientError as exc:
            return Outcome(FAILED, error=f"{type(exc).__name__}: {exc}")

    async def session(self):
        if self._session is None or self._session.closed:
            import aiohttp

            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=100, keepalive_timeout=30))
        return self._session

    async def close(self) -> None:
        for task in list(self._later):
            task.cancel()
        for task in self._workers.values():
            task.cancel()
        for task in self._workers.values():
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self._workers.clear()
        self._queues.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None


def build_hook(engine: CallbackEngine, cfg: TenantConfig, command: str, body: bytes, **kw) -> Hook:
    """A Hook with the command's timeout/retries, overridden by the tenant's config."""
    cmd = engine.command(cfg.provider, command)
    timeout = cfg.timeout_ms / 1000 if cfg.timeout_ms else kw.pop("timeout_s", cmd.timeout_s)
    kw.pop("timeout_s", None)
    retries = cfg.retries if cfg.retries is not None and cmd.kind == "after" else cmd.retries
    return Hook(cfg.provider, cfg.tenant, command, cmd.kind, cfg.url, body,
                timeout_s=timeout, retries=retries, **kw)
