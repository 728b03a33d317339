"""Facts the workers report to the app: the refresh worker (its messages may replace an older one
still queued) and the cgroup collection of key `c`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from kubectl_mem.tui.data_sources import Fetched

if TYPE_CHECKING:
    from kubectl_mem.kube.collector_run import Gathered


class SnapshotReady(Message):
    def __init__(self, fetched: Fetched, scope: int, elapsed: float) -> None:
        super().__init__()
        self.fetched = fetched
        self.scope = scope  # the scope generation it was loaded for; stale ones are dropped
        self.elapsed = elapsed

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, (SnapshotReady, RefreshFailed))


class RefreshFailed(Message):
    def __init__(self, message: str, title: str, scope: int) -> None:
        super().__init__()
        self.message = message
        self.title = title
        self.scope = scope

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RefreshFailed)


class CgroupsCollected(Message):
    """Key `c`: a collection finished (nodes that failed are in the overlay's `failed`)."""

    def __init__(
        self, gathered: Gathered, nodes: tuple[str, ...], elapsed: float, stale: tuple[str, ...]
    ) -> None:
        super().__init__()
        self.gathered = gathered
        self.nodes = nodes
        self.elapsed = elapsed
        self.stale = stale  # collector pods of earlier runs deleted first


class CgroupsFailed(Message):
    """Key `c`: the collection as a whole failed (no connection, an internal error)."""

    def __init__(self, message: str, nodes: tuple[str, ...]) -> None:
        super().__init__()
        self.message = message
        self.nodes = nodes
