"""Facts the refresh worker reports to the app. Both may replace an older one still queued."""

from __future__ import annotations

from textual.message import Message

from kubectl_mem.tui.source import Fetched


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
