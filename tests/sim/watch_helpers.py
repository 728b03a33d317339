"""Reading a watch in a test: a bounded number of events, with a deadline."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from kubectl_mem.kube.watch import Event, Watch


def next_events(w: Watch, at_least: int, done: Callable[[Event], bool], timeout: float = 60.0) -> list[Event]:
    """Events of `w` until `done(event)` after at least `at_least` events; fails after `timeout` s."""
    q: queue.Queue[Event | BaseException | None] = queue.Queue()

    def read() -> None:
        try:
            for ev in w:
                q.put(ev)
        except BaseException as e:  # handed to the test
            q.put(e)
        q.put(None)

    threading.Thread(target=read, daemon=True).start()
    out: list[Event] = []
    while True:
        item = q.get(timeout=timeout)
        if item is None:
            raise AssertionError(f"the watch ended after {len(out)} events: {out}")
        if isinstance(item, BaseException):
            raise item
        out.append(item)
        if len(out) >= at_least and done(item):
            w.close()
            return out
