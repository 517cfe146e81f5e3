"""Build a value once per key, however many threads ask for it at the same moment.

The loaded city held in memory (``places.cache``) and what is derived from it per load (the
lens's city, the linker's gazetteer, the energy pages) are built on first use. A server's
worker threads all ask at once after a start or a reload: ``Once`` lets one thread build each
value while the others wait for it, and hands out only finished values. A value is never
changed after it is handed out (builders make their arrays read-only), so readers need no
lock; a newer load gets a new key, so readers of the old value keep it unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Once(Generic[T]):
    """Values by key, each built by one thread while other threads asking for it wait.

    ``keep``: how many keys to remember, the newest (None: all). A build that raises hands
    nothing out; the next caller tries again. Builds of different keys run in parallel, so a
    build may itself ask a ``Once`` for another key.
    """

    def __init__(self, keep: int | None = None) -> None:
        self._keep = keep
        self._lock = threading.Lock()  # guards the two dictionaries, held only briefly
        self._values: dict[Hashable, T] = {}
        self._building: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The value for ``key``, calling ``build()`` when no thread has built it yet."""
        with self._lock:
            if key in self._values:
                return self._values[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:  # one builder per key; the others wait here, then find its value
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = build()
            with self._lock:
                self._values[key] = value
                self._building.pop(key, None)
                while self._keep is not None and len(self._values) > self._keep:
                    del self._values[next(iter(self._values))]  # the oldest key
            return value

    def clear(self) -> None:
        """Forget every value (threads already holding one keep it)."""
        with self._lock:
            self._values.clear()
