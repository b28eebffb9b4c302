"""Fault matching is indexed (issue 17): a request costs the same however many rules name its
API, and the indexed table answers exactly as the old scan-every-rule table did."""

from __future__ import annotations

import random
import time

from emulator.core.faults import FaultTable


class ScanTable:
    """The previous algorithm, kept as the reference: scan every rule in order."""

    def __init__(self) -> None:
        self.rules: list[dict] = []

    def add(self, spec: dict) -> None:
        self.rules.append({"after": 0, "times": 1, "tenant": None, **spec, "seen": 0, "fired": 0,
                           "id": len(self.rules) + 1})

    def match(self, provider, api, tenant):
        chosen = None
        for f in self.rules:
            if f["provider"] != provider or f["api"] != api or (f["tenant"] is not None and f["tenant"] != tenant):
                continue
            if f["times"] and f["fired"] >= f["times"]:
                continue
            f["seen"] += 1
            if chosen is None and f["seen"] > f["after"]:
                f["fired"] += 1
                chosen = f
        return chosen


def test_the_index_answers_as_the_scan_did():
    rng = random.Random(17)
    for _ in range(30):
        new, ref = FaultTable(), ScanTable()
        apis, tenants = ["a", "b"], [None, "t1", "t2"]
        for _ in range(600):
            if rng.random() < 0.15:
                spec = {"provider": "openim", "api": rng.choice(apis), "tenant": rng.choice(tenants),
                        "after": rng.choice([0, 0, 1, 3]), "times": rng.choice([0, 1, 1, 2, 5]),
                        "error": 1}
                new.add(spec)
                ref.add(spec)
            else:
                call = ("openim", rng.choice(apis), rng.choice(tenants))
                got, want = new.match(*call), ref.match(*call)
                assert (got.id if got else None) == (want["id"] if want else None)
        listed = {f.id: f.as_json() for f in new.list()}
        for r in ref.rules:
            j = listed[r["id"]]
            assert (j["seen"], j["fired"]) == (r["seen"], r["fired"])
            assert j["active"] == (not r["times"] or r["fired"] < r["times"])
            assert "base" not in j and "spent" not in j


def test_deleted_rules_no_longer_fire():
    t = FaultTable()
    a = t.add({"provider": "openim", "api": "x", "error": 1, "times": 0})
    b = t.add({"provider": "openim", "api": "x", "error": 2, "times": 0})
    assert t.match("openim", "x", None) is a
    assert t.clear(a.id) == 1 and t.clear(a.id) == 0
    assert t.match("openim", "x", None) is b
    assert t.clear() == 1 and t.match("openim", "x", None) is None


def test_many_rules_on_one_api_cost_no_more_per_call():
    def per_call(n_rules: int) -> float:
        t = FaultTable()
        for _ in range(n_rules):   # each lets 10**9 requests through first: never fires
            t.add({"provider": "tencent", "api": "get_group_info", "after": 10 ** 9, "error": 1})
        t0 = time.perf_counter()
        for _ in range(2000):
            assert t.match("tencent", "get_group_info", "1400000000") is None
        return (time.perf_counter() - t0) / 2000

    small, large = per_call(10), per_call(20_000)
    assert large < 20e-6 and large < 5 * small + 5e-6, (small, large)


def test_state_and_restore_keep_counters_and_order():
    t = FaultTable()
    t.add({"provider": "openim", "api": "x", "error": 1, "after": 2, "times": 3})
    t.add({"provider": "openim", "api": "x", "error": 2, "times": 0})
    t.add({"provider": "openim", "api": "x", "tenant": "a", "error": 3, "times": 1})
    fired = [f.id if f else None for f in (t.match("openim", "x", "a") for _ in range(2))]
    saved = t.state()
    again = FaultTable()
    again.restore(saved)
    assert again.state() == saved
    # both tables answer the next requests the same way
    for _ in range(6):
        a, b = t.match("openim", "x", "a"), again.match("openim", "x", "a")
        assert (a.id if a else None) == (b.id if b else None)
    assert [f.as_json() for f in t.list()] == [f.as_json() for f in again.list()]
    assert fired == [2, 2]             # the lowest-id eligible rule fires; rule 2 is forever
    nxt = again.add({"provider": "openim", "api": "y", "error": 1})
    assert nxt.id == 4
