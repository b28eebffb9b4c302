"""The provider-neutral store (core/messages.py): sequences, cap, marks, de-dup window,
dump/load and the invariants catching a corrupted store."""

from __future__ import annotations

import pytest

from emulator.core.errors import SeedError
from emulator.core.messages import RECALLED, MessageStore, StoreSpec


def fill(store: MessageStore, n: int, cid: str = "c2c:a:b"):
    conv = store.conversation(cid, "c2c", tuple(cid.split(":")[1:]))
    return [store.append(conv, "a", {"t": i}, float(i), ids=(i,), key=f"{cid}|{i}", unread_for=("b",))
            for i in range(n)]


def test_sequences_lookup_and_newest_first():
    store = MessageStore()
    msgs = fill(store, 5)
    conv = store.get("c2c:a:b")
    assert [m.seq for m in msgs] == [1, 2, 3, 4, 5] and conv.next_seq == 6
    assert conv.at(3) is msgs[2] and conv.at(0) is None and conv.at(6) is None
    assert [m.seq for m in conv.newest(3)] == [3, 2, 1]
    assert store.find("c2c:a:b|4") is msgs[4]
    assert msgs[0].content() == {"t": 0}
    assert store.unread(conv, "b") == 5 and store.unread(conv, "a") == 0
    assert [c.id for c in store.of_user("a")] == ["c2c:a:b"]
    assert store.check() == []


def test_cap_drops_oldest_across_conversations_and_counts():
    store = MessageStore(cap=4)
    fill(store, 3, "c2c:a:b")
    other = store.conversation("group:g", "group")
    for i in range(3):
        store.append(other, "x", {"g": i}, 10.0 + i)
    assert store.stored == 4 and store.dropped == 2
    assert store.get("c2c:a:b").first_seq == 3 and store.get("c2c:a:b").next_seq == 4
    assert store.find("c2c:a:b|0") is None and store.find("c2c:a:b|2") is not None
    assert store.check() == []
    for _ in range(100):      # long run at the cap: the log compacts, nothing grows
        store.append(other, "x", {}, 20.0)
    assert store.stored == 4 and len(store.get("group:g").log) < 80 and store.check() == []


def test_marks_are_clamped_to_the_log():
    store = MessageStore()
    fill(store, 3)
    conv = store.get("c2c:a:b")
    store.mark(conv, "b", read_seq=2, unread=9)
    assert conv.marks["b"] == [2, 1]
    store.mark(conv, "b", read_seq=99)
    assert conv.marks["b"][0] == 3


def test_dedupe_window_expires_and_is_bounded():
    store = MessageStore()
    [m] = fill(store, 1)
    m.time = 100.0
    store.remember("k", m, 120)
    assert store.duplicate("k", 150.0, 120) is m
    assert store.duplicate("k", 220.0, 120) is None and store.digest("k") not in store.recent
    assert not store.recent_order[120]


def test_drop_conversation_frees_everything():
    store = MessageStore()
    fill(store, 3)
    fill(store, 2, "c2c:a:c")
    assert store.drop_conversation("c2c:a:b") == 3
    assert store.stored == 2 and store.find("c2c:a:b|1") is None
    assert [c.id for c in store.of_user("b")] == [] and store.check() == []


def test_dump_load_roundtrip_keeps_arrival_order():
    store = MessageStore(cap=10)
    a = store.conversation("c2c:a:b", "c2c", ("a", "b"))
    g = store.conversation("group:g", "group", (), first_seq=7)
    store.append(g, "x", {"n": 1}, 1.0)
    m = store.append(a, "a", {"n": 2}, 2.0, ids=(1, 2), key="k", unread_for=("b",))
    store.append(g, "y", {"n": 3}, 3.0, to=("x",))
    m.flags |= RECALLED
    store.remember("d", m, 1e9)
    dump = store.dump()
    again = MessageStore.from_json(StoreSpec().load(dump))
    assert again.dump() == dump and again.check() == []
    assert [x.content()["n"] for x in again.order] == [1, 2, 3]
    assert again.duplicate("d", 3.0, 1e9) is again.find("k")


def test_seed_errors_name_the_path():
    bad = StoreSpec().load({"conversations": [{"id": "c", "kind": "c2c", "messages": [
        {"from": "a", "time": 1, "seq": 3}]}]})
    with pytest.raises(SeedError) as exc:
        MessageStore.from_json(bad)
    assert exc.value.path == "conversations[0].messages[0].seq"
    over = StoreSpec().load({"cap": 1, "conversations": [{"id": "c", "kind": "c2c", "messages": [
        {"from": "a", "time": 1}, {"from": "a", "time": 2}]}]})
    with pytest.raises(SeedError):
        MessageStore.from_json(over)
    marks = StoreSpec().load({"conversations": [{"id": "c", "kind": "c2c", "marks": {"a": [2, 0]}}]})
    with pytest.raises(SeedError):
        MessageStore.from_json(marks)


def test_check_reports_a_corrupted_store():
    store = MessageStore()
    msgs = fill(store, 3)
    conv = store.get("c2c:a:b")
    msgs[1].seq = 9
    conv.marks["b"] = [0, 7]
    store.stored = 5
    problems = "\n".join(store.check())
    assert "seq 9 where 2 was expected" in problems
    assert "7 unread" in problems and "5 messages counted" in problems


def test_single_id_kept_bare_and_given_back_as_a_tuple():
    """One int/str id is stored without its tuple (one object less per message for the
    collector); readers, the setter and dump/load still see the tuple the provider gave."""
    from emulator.core.messages import MessageStore
    store = MessageStore()
    conv = store.conversation("g", "group")
    a = store.append(conv, "u1", {"t": 1}, 1.0, ids=(7,))
    b = store.append(conv, "u1", {"t": 2}, 1.0, ids=("UID-1",))
    c = store.append(conv, "u1", {"t": 3}, 1.0, ids=("c", "s"))
    d = store.append(conv, "u1", {"t": 4}, 1.0, ids=(True,))
    e = store.append(conv, "u1", {"t": 5}, 1.0)
    assert (a.ids, b.ids, c.ids, d.ids, e.ids) == ((7,), ("UID-1",), ("c", "s"), (True,), ())
    assert a._ids == 7 and b._ids == "UID-1" and type(d._ids) is tuple
    c.ids = ("c", "s", "revoker", 1)
    b.ids = ("UID-2",)
    assert c.ids == ("c", "s", "revoker", 1) and b.ids == ("UID-2",)
    again = MessageStore.from_json(store.dump())
    assert [m.ids for m in again.get("g").messages()] == [(7,), ("UID-2",), ("c", "s", "revoker", 1), (True,), ()]
    assert again.dump() == store.dump()
