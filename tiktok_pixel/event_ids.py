"""Fresh event ids: random version-4 UUIDs from the operating system's CSPRNG, cheaply.

An event id is what TikTok deduplicates the pixel's and the Events API's copy of an event by,
so it must not be guessable: a visitor who could predict the ids the site gives other visitors'
events could send those ids first and have TikTok drop the real events as repeats. Python's
``random`` module cannot promise that (its state can be recovered from enough outputs), so ids
come from ``os.urandom``, as ``uuid.uuid4()`` does; but one system call per id costs more than
the rest of a ``track`` call, so the bytes are read in blocks of :data:`BLOCK` ids. A forked
child forgets the block it inherited, so parent and child never hand out the same id.
"""

from __future__ import annotations

import os

__all__ = ["BLOCK", "new_event_id"]

#: How many ids one ``os.urandom`` call provides.
BLOCK = 128

_ready: list[str] = []

#: The variant digit of a version-4 UUID (binary 10xx) for each random hex digit.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def _refill() -> str:
    hexes = os.urandom(16 * BLOCK).hex()
    ids = [
        # 8-4-4-4-12 hex digits; the version digit is 4 and the variant digit one of 8 9 a b
        f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"
        for h in (hexes[i : i + 32] for i in range(0, len(hexes), 32))
    ]
    _ready.extend(ids[1:])
    return ids[0]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ready.clear)


def new_event_id() -> str:
    """A fresh random UUID (version 4) as text, like ``str(uuid.uuid4())``.

    Thread-safe: ``list.pop`` is atomic, and two threads refilling at once only read more bytes.
    """
    try:
        return _ready.pop()
    except IndexError:
        return _refill()
