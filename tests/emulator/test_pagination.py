"""Pagination: oldest-first events, newest-first tasks, opaque tokens that stay valid."""

from __future__ import annotations

import base64

import pytest

from neo_notebook.emulator import NeoEmulator

from .conftest import Http


def note(emu: NeoEmulator, task_id: str, i: int) -> str:
    event = emu.inject_event(
        task_id,
        {
            "type": "agentResponse",
            "eventBody": {"type": "assistant_message", "content": f"note {i}"},
        },
    )
    event_id: str = event["id"]
    return event_id


@pytest.mark.parametrize("page_size", [1, 7, 100, 1000])
def test_events_across_many_pages_are_complete_and_ordered(
    emu: NeoEmulator, http: Http, page_size: int
) -> None:
    task_id = http.create()
    first = [e["id"] for e in http.events(task_id)]
    notes = [note(emu, task_id, i) for i in range(250 if page_size > 1 else 30)]
    ids = [e["id"] for e in http.events(task_id, page_size=page_size)]
    assert ids == first + notes
    assert len(set(ids)) == len(ids)


def test_page_sizes_and_the_last_page(emu: NeoEmulator, http: Http) -> None:
    task_id = http.create()
    for i in range(240):
        note(emu, task_id, i)
    total = len(http.events(task_id))
    default = http.get(f"tasks/{task_id}/events").json()
    assert len(default["events"]) == 100 and default["continuationToken"]
    r = http.get(f"tasks/{task_id}/events", params={"pageSize": 1000}).json()
    assert len(r["events"]) == total and "continuationToken" not in r
    exact = http.get(f"tasks/{task_id}/events", params={"pageSize": total}).json()
    assert len(exact["events"]) == total and not exact.get("continuationToken")


@pytest.mark.parametrize("size", ["0", "1001", "-1", "abc", "1.5", "", " 5", "1e2", "99999999"])
def test_page_size_out_of_range_is_400(http: Http, size: str) -> None:
    task_id = http.create()
    for path in (f"tasks/{task_id}/events", "tasks"):
        r = http.get(path, params={"pageSize": size})
        assert r.status_code == 400, (path, size)
        assert "pageSize must be between 1 and 1000" in r.json()["message"]


def test_a_token_keeps_meaning_from_this_offset_on(emu: NeoEmulator, http: Http) -> None:
    task_id = http.create()
    count = len(http.events(task_id))
    page = http.get(f"tasks/{task_id}/events", params={"pageSize": 3}).json()
    token = page["continuationToken"]
    rest = http.get(
        f"tasks/{task_id}/events", params={"pageSize": 1000, "continuationToken": token}
    ).json()
    assert len(rest["events"]) == count - 3 and not rest.get("continuationToken")
    late = [note(emu, task_id, i) for i in range(2)]
    again = http.get(
        f"tasks/{task_id}/events", params={"pageSize": 1000, "continuationToken": token}
    ).json()
    assert [e["id"] for e in again["events"]] == [e["id"] for e in rest["events"]] + late


def test_a_token_at_the_end_sees_only_new_events(emu: NeoEmulator, http: Http) -> None:
    task_id = http.create()
    count = len(http.events(task_id))
    page = http.get(f"tasks/{task_id}/events", params={"pageSize": count}).json()
    assert not page.get("continuationToken")
    first = http.get(f"tasks/{task_id}/events", params={"pageSize": count - 1}).json()
    token = first["continuationToken"]
    late = note(emu, task_id, 0)
    tail = http.get(f"tasks/{task_id}/events", params={"continuationToken": token}).json()
    assert [e["id"] for e in tail["events"]][-1] == late and len(tail["events"]) == 2


def test_tampered_or_foreign_tokens_are_400(http: Http) -> None:
    one, other = http.create(), http.create()
    token = http.get(f"tasks/{one}/events", params={"pageSize": 2}).json()["continuationToken"]
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[6] ^= 1
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode()
    bad = [tampered, token[:-4], token + "AAAA", "garbage", "%%%", "x" * 2000, "é"]
    for value in bad:
        r = http.get(f"tasks/{one}/events", params={"continuationToken": value})
        assert r.status_code == 400, value
        assert "continuationToken" in r.json()["message"]
    r = http.get(f"tasks/{other}/events", params={"continuationToken": token})
    assert r.status_code == 400  # a token is bound to its task
    r = http.get("tasks", params={"continuationToken": token})
    assert r.status_code == 400  # and to its listing
    ok = http.get(f"tasks/{one}/events", params={"continuationToken": token})
    assert ok.status_code == 200


def test_task_list_pages_newest_first(http: Http) -> None:
    with NeoEmulator(history=23, seed=3) as emu:
        reader = Http(emu)
        try:
            tasks, token, pages = [], None, 0
            while True:
                params = {"pageSize": 5, **({"continuationToken": token} if token else {})}
                data = reader.get("tasks", params=params).json()
                tasks += data["tasks"]
                pages += 1
                token = data.get("continuationToken")
                if not token:
                    break
            new = reader.create("brand new")
            newest = reader.get("tasks", params={"pageSize": 1}).json()["tasks"][0]
        finally:
            reader.close()
    assert pages == 5 and len({t["id"] for t in tasks}) == 23
    created = [t["createdAt"] for t in tasks]
    assert created == sorted(created, reverse=True)
    assert newest["id"] == new
