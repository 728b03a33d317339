"""Background refresh: a thread worker lists, fetches metrics and builds the snapshot off the event
loop, then posts `SnapshotReady` or `RefreshFailed`.

A timer calls `tick()`. While a refresh runs, ticks are skipped (as k9s does): the worker is never
`exclusive`, because on a slow 20k-pod cluster each tick would cancel the one before and no
refresh would ever finish. A scope change (`:ns`, `:ctx`) during a refresh asks for one more
refresh right after it.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kubectl_mem.errors import KubectlMemError
from kubectl_mem.model.workloads import Workloads, rollup
from kubectl_mem.tui.data_sources import Fetched, TuiSource
from kubectl_mem.tui.messages import RefreshFailed, SnapshotReady
from kubectl_mem.tui.samples import Samples

if TYPE_CHECKING:
    from textual.app import App

Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class ViewData:
    """What the screens draw: the last good data, and how the last refresh went."""

    fetched: Fetched | None = None
    generation: int = 0  # bumps with each new snapshot
    refreshed_at: dt.datetime | None = None  # when the shown data was loaded
    error: str = ""  # the last refresh failed with this (the data shown is older)
    error_title: str = ""
    loading: bool = True  # no data yet


class Refresher:
    def __init__(self, app: App, samples: Samples, clock: Clock) -> None:
        self.app = app
        self.samples = samples
        self.clock = clock
        self.running = False
        self.pending = False
        self.skipped = 0
        self.completed = 0
        self.scope = 0  # bumped by a scope change
        self.source: TuiSource | None = None
        self.workloads_wanted = False  # :workloads was opened: roll the pods up at each refresh

    def set_source(self, source: TuiSource) -> None:
        old = self.source
        self.source = source
        self.scope += 1
        if old is not None and old is not source and not self.running:
            old.close()

    def tick(self) -> bool:
        """Start a refresh unless one runs; True when started."""
        if self.running or self.source is None:
            self.skipped += 1
            return False
        self.running = True
        self.pending = False
        source, scope = self.source, self.scope
        self.app.run_worker(
            lambda: self._load(source, scope),
            name="refresh",
            group="refresh",
            description=f"refresh (scope {scope})",
            thread=True,
            exit_on_error=False,
        )
        return True

    def _workloads(self, fetched: Fetched) -> Workloads:
        """The roll-up, here in the worker (a second at 20k pods), from the samples seen so far."""
        loaded = fetched.loaded
        assert loaded.owners is not None
        enabled = gc.isenabled()
        gc.disable()
        try:
            return rollup(
                loaded.shown,
                loaded.owners,
                loaded.snapshot.nodes,
                highest=self.samples.highest(),
                samples=min(len(self.samples.times), self.samples.max_samples),
            )
        finally:
            if enabled:
                gc.enable()

    def request(self) -> None:
        """Refresh now, or right after the running refresh."""
        if not self.tick():
            self.pending = True

    def _load(self, source: TuiSource, scope: int) -> None:
        start = time.perf_counter()
        message: SnapshotReady | RefreshFailed
        try:
            fetched = source.load()
            if scope == self.scope:
                self.samples.record(self.clock().timestamp(), fetched.loaded.snapshot)
                if len(self.samples.times) % 30 == 0:
                    self.samples.forget({p.pod.uid for p in fetched.loaded.snapshot.pods})
                if self.workloads_wanted and fetched.loaded.owners is not None:
                    fetched.workloads = self._workloads(fetched)
            message = SnapshotReady(fetched, scope, time.perf_counter() - start)
        except KubectlMemError as e:
            message = RefreshFailed(str(e), type(e).__name__, scope)
        except Exception as e:  # a bug must not take the app down: show it, keep the data
            message = RefreshFailed(f"internal error: {type(e).__name__}: {e}", "InternalError", scope)
        finally:
            self.running = False
            self.completed += 1
            if source is not self.source:
                source.close()
        self.app.post_message(message)
