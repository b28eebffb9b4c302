"""Durable state: a write-ahead log of applied requests plus per-tenant snapshots, in SQLite (WAL).

Why a log of requests rather than of state changes: state is deterministic (ids come from
per-tenant sequences, time from the emulator clock), so replaying the requests a handler saw, in
order, with the clock frozen at each request's recorded ``now``, rebuilds the state exactly. The
pipeline appends one row before it calls a handler (``Route.readonly`` opts a route out) and
sends the reply only once that row is committed. Rows of one event-loop turn share a commit
(group commit); if it fails, the state is rebuilt from the database without them and each of
their replies is the provider's internal error, so an answered write is always on disk and a
refused one is never applied.

Replay bypasses authentication (a UserSig or token may have expired since) and reuses the tenant
and caller recorded with the request. Requests that failed in their handler are replayed too and
fail again, changing nothing. Control-plane changes (scenario, state PUT, reset, faults, clock)
are logged the same way.

Snapshots bound the replay: every ``snapshot_every`` entries (more when a snapshot is expensive,
see ``_retune``) the tenants that changed are written, one row per tenant, the log up to there is
dropped, all in one transaction. A snapshot also keeps the scenario texts (reset rebuilds from
them), the faults and the clock. Not durable: the journal (a debugging ring buffer), rate-limit
windows and RongCloud's nonce cache; fault counters between two snapshots.

Durability: WAL with ``synchronous=NORMAL`` survives a kill -9 of the process (the commit is in the
OS before the reply leaves); ``sync="full"`` also fsyncs every commit, for power loss.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import tempfile
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import orjson
from multidict import CIMultiDict, MultiDict

from emulator.core.call import Call
from emulator.core.callbacks import Pending, settle_offline
from emulator.core.errors import ProviderError

if TYPE_CHECKING:
    from emulator.app import Runtime

log = logging.getLogger("emulator.persist")

FORMAT = 1
DB_NAME = "state.db"
SQLITE_MAGIC = b"SQLite format 3\x00"
CALLBACK_EXTRAS = ("after_hooks", "callback_outcomes")   # per-request callback work, not logged
SNAPSHOT_EVERY = 10_000          # log entries between two snapshots: restart replays at most these
WAL_CHECKPOINT_PAGES = 10_000
SNAPSHOT_COST_PER_ENTRY = 20e-6  # a snapshot that took S s waits for S / 20 µs entries (amortised)
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tenants (provider TEXT NOT NULL, tenant TEXT NOT NULL, data BLOB NOT NULL,
                                    PRIMARY KEY (provider, tenant));
CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, entry BLOB NOT NULL, body BLOB);
"""


class PersistError(Exception):
    """A durable-state or state-file failure, with a one-line message naming what failed."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


def _one_line(exc: BaseException, limit: int = 300) -> str:
    return " ".join(str(exc).split())[:limit]


# --- the SQLite store ------------------------------------------------------------------------
class Store:
    def __init__(self, directory: Path, sync: str = "normal", snapshot_every: int = SNAPSHOT_EVERY) -> None:
        self.dir = Path(directory)
        self.path = self.dir / DB_NAME
        self.sync = sync
        self.snapshot_every = max(1, snapshot_every)
        self.threshold = self.snapshot_every
        self.conn: sqlite3.Connection | None = None
        self.rt: "Runtime | None" = None
        self.seq = 0            # last logged entry
        self.tail = 0           # entries since the last snapshot
        self.dirty: set[tuple[str, str | None]] = set()
        self.all_dirty = True
        self.pending = False    # a snapshot is scheduled
        self.batch: asyncio.Future | None = None   # the commit the open group of writes waits for
        self.degraded = False   # after a failed write: commit each write before its handler runs
        self.replayed = 0
        self.diverged = 0       # replayed entries that raised something other than the provider's error

    # --- open / check ----------------------------------------------------------------------
    def open(self) -> bool:
        """Open (or create) the database; True when it holds a snapshot to restore.

        A file that is not a sound im-emulator database is refused, never emptied."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PersistError(f"cannot create data directory {self.dir}: {_reason(exc)}") from None
        existed = self.path.exists()
        if existed:
            try:
                with open(self.path, "rb") as fh:
                    head = fh.read(100)
            except OSError as exc:
                raise PersistError(f"cannot read database {self.path}: {_reason(exc)}") from None
            if len(head) < 100 or not head.startswith(SQLITE_MAGIC):
                raise PersistError(f"database {self.path} is empty, truncated or not SQLite; refusing to "
                                   f"start (move it away to start from the scenario)")
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            # One process owns the database: an exclusive lock (taken at the first write) spares
            # the per-commit file locking, and refuses a second emulator on the same directory.
            self.conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            mode = self.conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise PersistError(f"database {self.path}: cannot use WAL mode (got {mode})")
            self.conn.execute(f"PRAGMA synchronous={'FULL' if self.sync == 'full' else 'NORMAL'}")
            # Fewer, larger checkpoints (the WAL file grows to ~40 MB between them): a commit
            # costs about a third less; a snapshot and a clean exit checkpoint anyway.
            self.conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            if existed:
                check = self.conn.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise sqlite3.DatabaseError(check)
                tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                if not {"meta", "tenants", "log"} <= tables:
                    raise PersistError(f"database {self.path} is not an im-emulator database "
                                       f"(tables: {', '.join(sorted(tables)) or 'none'}); refusing to start")
                fmt = self._meta("format")
                if fmt is None or int(fmt) != FORMAT:
                    raise PersistError(f"database {self.path} has format {fmt!r}, this im-emulator "
                                       f"reads format {FORMAT}; refusing to start")
            else:
                self.conn.executescript(SCHEMA)
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (str(FORMAT),))
            # Sequence numbers are ours, not SQLite's rowids: a rowid restarts at 1 once a
            # snapshot has emptied the table, which would put new entries before the snapshot.
            row = self.conn.execute("SELECT max(seq) FROM log").fetchone()
            snap = self._meta("snapshot")
            self.seq = max(row[0] or 0, orjson.loads(snap)["seq"] if snap is not None else 0)
        except PersistError:
            self.close_quietly()
            raise
        except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
            self.close_quietly()
            if "locked" in str(exc):
                raise PersistError(f"database {self.path} is in use by another process (another "
                                   f"im-emulator on this --data-dir?); refusing to start") from None
            raise PersistError(f"database {self.path} is corrupt or unusable ({_one_line(exc)}); refusing "
                               f"to start (move it away to start from the scenario)") from None
        return self._meta("snapshot") is not None

    def _meta(self, key: str) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def close_quietly(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except sqlite3.Error:
                pass
            self.conn = None

    # --- restore ---------------------------------------------------------------------------
    def restore(self, rt: "Runtime") -> None:
        """Snapshot, then the log after it, replayed in order. Any read error refuses the start."""
        t0 = perf_counter()
        engine = rt.callbacks
        was = engine.suspended, engine.replaying
        engine.suspended = engine.replaying = True    # replay sends no callbacks
        try:
            snap = orjson.loads(self._meta("snapshot"))
            rt.restore_scenarios(snap["scenarios"])
            for name, provider in rt.providers.items():
                backend = provider.backend
                backend.tenants = {}
                # a backend may trust its own dumps and skip validating them (Tencent does)
                for tid, data in self.conn.execute(
                        "SELECT tenant, data FROM tenants WHERE provider = ? ORDER BY tenant", (name,)):
                    backend.tenants[tid] = backend.load_tenant(tid, orjson.loads(data), trusted=True)
            rt.faults.restore(snap["faults"])
            rt.clock.restore(snap["clock"])
            snap_seq = snap["seq"]
            for seq, entry, body in self.conn.execute(
                    "SELECT seq, entry, body FROM log WHERE seq > ? ORDER BY seq", (snap_seq,)):
                self.replay(rt, orjson.loads(entry), body or b"")
                self.tail += 1
        except sqlite3.Error as exc:
            raise PersistError(f"database {self.path} is corrupt or unusable ({_one_line(exc)}); refusing "
                               f"to start (move it away to start from the scenario)") from None
        except Exception as exc:  # noqa: BLE001 - a snapshot a backend cannot load: refuse, say why
            reason = " ".join(repr(exc).split())[:300]
            raise PersistError(f"database {self.path}: the snapshot cannot be loaded ({reason}); "
                               f"refusing to start") from None
        finally:
            engine.suspended, engine.replaying = was
            engine.replay_config = None
        self.all_dirty = bool(self.tail)
        log.info("state restored from %s: snapshot + %d logged entries replayed in %.3f s%s", self.path,
                 self.tail, perf_counter() - t0,
                 f" ({self.diverged} replayed with an unexpected error)" if self.diverged else "")

    def replay(self, rt: "Runtime", e: dict, body: bytes) -> None:
        clock = rt.clock
        saved = clock.state()
        clock.freeze_at(e["n"])
        try:
            if e["k"] == "r":
                self._replay_request(rt, e, body)
            elif e["k"] == "clock":
                clock.restore(saved)
                rt.apply_clock(e["op"])
                saved = clock.state()
            else:
                rt.replay_control(e)
        except ProviderError:
            pass          # failed the same way when it was first answered
        except Exception as exc:  # noqa: BLE001 - a replay must go on; count and say it
            self.diverged += 1
            log.warning("replay of log entry %s (%s) raised %r", e.get("k"), e.get("p", ""), exc)
        finally:
            clock.restore(saved)
        self.replayed += 1

    @staticmethod
    def _replay_request(rt: "Runtime", e: dict, body: bytes) -> None:
        owner, route = rt.route_index[e["h"]]
        req = ReplayRequest(e["m"], e["p"], e["q"], e["hd"], e.get("mi") or {})
        call = Call(req, owner, route, body, e["n"])
        call.route = route = owner.resolve(call)
        call.api = route.api
        call.tenant_id, call.caller = e.get("t"), e.get("c")
        if e.get("x"):
            call.extra.update(e["x"])
        if call.tenant_id is not None:
            call.tenant = owner.backend.tenants.get(call.tenant_id)
        call.payload = owner.parse_body(call)
        call.data = owner.validate(call)
        engine = rt.callbacks
        engine.replay_with(e.get("cb"))
        result = route.handler(call)
        if type(result) is Pending:    # a before-hook: applied at the entry with its outcomes
            settle_offline(result, e.get("o"))

    # --- logging ---------------------------------------------------------------------------
    def attach(self, rt: "Runtime") -> None:
        self.rt = rt

    def log_request(self, call: Call, key: str, outcomes: list | None = None) -> "asyncio.Future | None":
        """Append one request about to reach its handler.

        Group commit: inside the event loop the entry joins the open transaction and the caller
        gets the future of its commit, made once for every request of this loop iteration,
        before any of their replies is sent (the pipeline awaits it). PersistError if the entry
        cannot be written; the handler must then not run."""
        req = call.request
        entry = {"k": "r", "h": key, "m": req.method, "p": req.path, "q": req.query_string,
                 "hd": list(req.headers.items()), "n": call.now, "t": call.tenant_id, "c": call.caller}
        if call.extra:
            extra = {k: v for k, v in call.extra.items() if k not in CALLBACK_EXTRAS}
            if extra:
                entry["x"] = extra
        # callbacks (core/callbacks.py): the configuration the request runs under and, once its
        # before-hooks answered, their outcomes (logged again before it applies; replay applies
        # a request at the entry that carries its outcomes, and skips the one without them)
        cb = self.rt.callbacks.logged_config(call.provider.name, call.tenant_id) if self.rt is not None else None
        if cb is not None:
            entry["cb"] = cb
        if outcomes is not None:
            entry["o"] = outcomes
        mi = req.match_info
        if mi:
            entry["mi"] = dict(mi)
        pending = self._append(orjson.dumps(entry, option=orjson.OPT_NON_STR_KEYS), call.raw, group=True)
        self.dirty.add((call.provider.name, call.tenant_id))
        return pending

    def log_control(self, kind: str, now: float, fields: dict) -> None:
        """Control-plane changes are rare: committed at once (with any open group)."""
        self._append(orjson.dumps({"k": kind, "n": now, **fields}, option=orjson.OPT_NON_STR_KEYS), None)
        self.all_dirty = True

    def _append(self, entry: bytes, body: bytes | None, group: bool = False) -> "asyncio.Future | None":
        loop = None
        if group and not self.degraded:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
        conn = self.conn
        try:
            if conn is None:
                raise sqlite3.ProgrammingError("the database is closed")
            if loop is not None and not conn.in_transaction:
                conn.execute("BEGIN")
            conn.execute("INSERT INTO log (seq, entry, body) VALUES (?, ?, ?)", (self.seq + 1, entry, body))
            if loop is None and conn.in_transaction:
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            # whatever this transaction held is gone (SQLite may roll it back by itself on a
            # full disk): undo in memory what its requests did, answer them with errors
            self._fail(exc)
            raise PersistError(f"cannot write to {self.path}: {_one_line(exc)}") from None
        self.seq += 1
        self.tail += 1
        if loop is None:
            self.degraded = False   # a synchronous commit went through: group commit again
            self._maybe_snapshot()
            return None
        if self.batch is None:
            self.batch = loop.create_future()
            loop.call_soon(self._commit_batch)
        return self.batch

    def _commit_batch(self) -> None:
        try:
            self._commit_now()
        except PersistError:
            return                   # _fail has answered the batch
        self._maybe_snapshot()

    def _commit_now(self) -> None:
        """Commit the open group, if any, and release its replies; PersistError if it failed."""
        fut, self.batch = self.batch, None
        try:
            if self.conn is not None and self.conn.in_transaction:
                self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self.batch = fut
            self._fail(exc)
            raise PersistError(f"cannot write to {self.path}: {_one_line(exc)}") from None
        if fut is not None and not fut.done():
            fut.set_result(None)

    def _fail(self, exc: BaseException) -> None:
        """A write or commit failed: roll back, rebuild the state in memory from what the database
        holds (the requests of the lost group never happened), fail their replies, and commit
        each write before its handler until a commit succeeds again."""
        fut, self.batch = self.batch, None
        message = f"cannot write to {self.path}: {_one_line(exc)}"
        log.error("%s", message)
        try:
            if self.conn is not None and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        if fut is not None:
            self.degraded = True
            if self.rt is not None:
                self._rebuild(self.rt)
            if not fut.done():
                fut.set_exception(PersistError(message))
                fut.exception()      # retrieved by its waiters; never "never retrieved"
        else:
            self.degraded = True

    def _rebuild(self, rt: "Runtime") -> None:
        rt.store = None            # replaying logs nothing
        try:
            row = self.conn.execute("SELECT max(seq) FROM log").fetchone()
            snap = self._meta("snapshot")
            self.seq = max(row[0] or 0, orjson.loads(snap)["seq"] if snap is not None else 0)
            self.tail = self.diverged = 0
            self.dirty.clear()
            self.restore(rt)
            self.all_dirty = True
        except PersistError as exc:
            log.critical("cannot rebuild the state from %s after a failed write: %s", self.path, exc)
        finally:
            rt.store = self

    def _maybe_snapshot(self) -> None:
        if self.tail >= self.threshold and not self.pending and self.rt is not None:
            self.pending = True
            try:
                asyncio.get_running_loop().call_soon(self._scheduled_snapshot)
            except RuntimeError:      # no loop (a synchronous caller): do it now
                self._scheduled_snapshot()

    def _scheduled_snapshot(self) -> None:
        self.pending = False
        try:
            self.snapshot(self.rt)
        except PersistError as exc:  # the log still holds everything; try again later
            log.error("%s", exc)
            self.threshold = self.tail + self.snapshot_every

    # --- snapshots -------------------------------------------------------------------------
    def snapshot(self, rt: "Runtime", full: bool = False) -> None:
        """Write the changed tenants (all when ``full``), the scenario texts, faults and clock,
        and drop the log they cover: one transaction, so a crash leaves the old snapshot + log."""
        t0 = perf_counter()
        self._commit_now()
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            for name, provider in rt.providers.items():
                tenants = provider.backend.tenants
                if full or self.all_dirty or (name, None) in self.dirty:
                    stored = {r[0] for r in conn.execute("SELECT tenant FROM tenants WHERE provider = ?", (name,))}
                    ids = set(tenants) | stored
                else:
                    ids = {tid for (p, tid) in self.dirty if p == name}
                for tid in sorted(ids):
                    t = tenants.get(tid)
                    if t is None:
                        conn.execute("DELETE FROM tenants WHERE provider = ? AND tenant = ?", (name, tid))
                    else:   # one tenant's JSON at a time: memory stays at one tenant's dump
                        conn.execute("INSERT OR REPLACE INTO tenants VALUES (?, ?, ?)",
                                     (name, tid, orjson.dumps(provider.backend.dump_tenant(t),
                                                              option=orjson.OPT_NON_STR_KEYS)))
            meta = {"seq": self.seq, "saved_at": rt.clock.now(), "scenarios": rt.scenario_texts,
                    "faults": rt.faults.state(), "clock": rt.clock.state()}
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('snapshot', ?)",
                         (orjson.dumps(meta, option=orjson.OPT_NON_STR_KEYS),))
            conn.execute("DELETE FROM log WHERE seq <= ?", (self.seq,))
            conn.execute("COMMIT")
        except Exception as exc:  # noqa: BLE001 - never leave the transaction open: later log
            # entries would sit in it uncommitted
            try:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise PersistError(f"cannot write a snapshot to {self.path}: {_one_line(exc)} "
                               f"(the log still holds every write)") from None
        self.dirty.clear()
        self.all_dirty = False
        self.tail = 0
        self._retune(perf_counter() - t0)

    def _retune(self, cost_s: float) -> None:
        """A snapshot costs O(changed tenants): keep its amortised cost per write small."""
        self.threshold = max(self.snapshot_every, int(cost_s / SNAPSHOT_COST_PER_ENTRY))

    def close(self, rt: "Runtime") -> None:
        """At a clean exit: a last snapshot, a checkpoint that empties the WAL file, close."""
        if self.conn is None:
            return
        try:
            self._commit_now()
            if self.tail or self.all_dirty:
                self.snapshot(rt)
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            raise PersistError(f"cannot checkpoint {self.path}: {exc} (the log still holds every write)") from None
        finally:
            self.close_quietly()


class ReplayRequest:
    """The parts of an aiohttp request that providers read, rebuilt from a log entry. Headers and
    query are built on first use: replay skips authentication, their main reader."""

    __slots__ = ("method", "path", "query_string", "_headers", "_query", "match_info", "body_exists")

    def __init__(self, method: str, path: str, query_string: str, headers: list, match_info: dict) -> None:
        self.method = method
        self.path = path
        self.query_string = query_string
        self._headers: Any = headers
        self._query: MultiDict | None = None
        self.match_info = match_info
        self.body_exists = True

    @property
    def headers(self) -> CIMultiDict:
        if not isinstance(self._headers, CIMultiDict):
            self._headers = CIMultiDict(self._headers)
        return self._headers

    @property
    def query(self) -> MultiDict:
        if self._query is None:
            self._query = MultiDict(parse_qsl(self.query_string, keep_blank_values=True))
        return self._query


# --- the JSON state file -----------------------------------------------------------------------
def write_state_file(path: Path, header: dict, providers: dict) -> None:
    """Stream the state file tenant by tenant (memory: one tenant's dump at a time), atomically:
    a temp file in the same directory, fsync, rename over the target."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise PersistError(f"cannot write state file {path}: {_reason(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(orjson.dumps(header)[:-1] + b', "state": {\n')
            for i, (name, provider) in enumerate(providers.items()):
                fh.write((b",\n" if i else b"") + orjson.dumps(name) + b": {")
                backend = provider.backend
                for j, tid in enumerate(sorted(backend.tenants)):
                    fh.write((b",\n  " if j else b"\n  ") + orjson.dumps(tid) + b": ")
                    fh.write(orjson.dumps(backend.dump_tenant(backend.tenants[tid]),
                                          option=orjson.OPT_NON_STR_KEYS))
                fh.write(b"}")
            fh.write(b"\n}}\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise PersistError(f"cannot write state file {path}: {_reason(exc)}") from None
        raise


def read_state_file(path: Path, known: set[str]) -> dict:
    """The ``state`` object of a state file, checked for shape; PersistError says what is wrong.

    ``{}`` is refused like any file without a ``state`` object: starting on the scenario instead
    would overwrite that file at exit."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PersistError(f"cannot read state file {path}: {_reason(exc)}") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PersistError(f"state file {path} is not JSON: {exc}") from None
    expected = 'expected {"version": ..., "state": {"<provider>": {"<tenant>": {...}}}} as im-emulator writes it'
    if not isinstance(data, dict):
        raise PersistError(f"state file {path} holds {orjson.dumps(data)[:20].decode()!s}, not an object; {expected}")
    if "state" not in data:
        raise PersistError(f"state file {path} has no \"state\" object; {expected} "
                           f"(delete the file to start from the scenario)")
    state = data["state"]
    if not isinstance(state, dict):
        raise PersistError(f"state file {path}: \"state\" must be an object keyed by provider; {expected}")
    unknown = sorted(str(k) for k in state if k not in known)
    if unknown:
        raise PersistError(f"state file {path}: unknown provider(s) {', '.join(unknown)} "
                           f"(this emulator serves {', '.join(sorted(known))})")
    for name, tenants in state.items():
        if not isinstance(tenants, dict) or not all(isinstance(t, dict) for t in tenants.values()):
            raise PersistError(f"state file {path}: state.{name} must map tenant ids to tenant objects")
    return state
