"""Event ids: random version-4 UUIDs from the OS CSPRNG, never shared with a forked child."""

from __future__ import annotations

import os
import uuid

import pytest

from tiktok_pixel import event_ids
from tiktok_pixel.event_ids import BLOCK, new_event_id


def test_ids_are_version_4_uuids_as_text() -> None:
    for _ in range(3 * BLOCK):  # across several refills
        text = new_event_id()
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == text


def test_ids_do_not_repeat() -> None:
    ids = [new_event_id() for _ in range(20 * BLOCK)]
    assert len(set(ids)) == len(ids)


def test_ids_come_from_os_urandom(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not from ``random`` (its state can be recovered from enough outputs)."""
    event_ids._ready.clear()
    monkeypatch.setattr(event_ids.os, "urandom", lambda n: bytes(n))  # all zero bits
    assert new_event_id() == "00000000-0000-4000-8000-000000000000"
    event_ids._ready.clear()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_never_hands_out_the_parents_next_ids() -> None:
    new_event_id()  # the parent holds a block of ids not handed out yet
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: write its next ids, then leave at once
        try:
            os.write(write, "\n".join(new_event_id() for _ in range(5)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = set(pipe.read().split("\n"))
    os.waitpid(pid, 0)
    parent = {new_event_id() for _ in range(5)}
    assert len(child) == 5
    assert not child & parent
