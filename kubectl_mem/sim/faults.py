"""Fault knobs, changed by tests at runtime while the server runs (every method is thread-safe)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["Faults", "Injected", "MetricsMode"]

MetricsMode = Literal["available", "absent", "unavailable"]


@dataclass(slots=True)
class _Countdown:
    remaining: int
    path_prefix: str
    status: int
    retry_after: int


@dataclass(frozen=True, slots=True)
class Injected:
    """A fault chosen for one request."""

    status: int
    retry_after: int = 0


class Faults:
    """
    latency_ms        sleep before answering every request
    throttle(n, ...)  answer the next n (matching) requests with 429 + Retry-After
    fail(n, ...)      answer the next n (matching) requests with 500 (or another status)
    metrics           "available" | "absent" (metrics-server not installed) |
                      "unavailable" (APIService registered but down: 503)
    malform(prefix)   truncate the JSON body of responses whose path starts with prefix
    expire_continue(n) the next n requests carrying a continue token get 410 Expired
    continue_ttl_seconds  continue tokens older than this expire (None: never)
    clock             the seconds continue-token ages are measured in (time.monotonic; a test passes
                      a clock it moves by hand, so a TTL holds however slow the machine is)
    watch_list        False: refuse streaming lists (sendInitialEvents) with 400, as servers before
                      v1.27 or with the WatchList feature off do
    protobuf          False: answer JSON to every request, as a server or proxy without protobuf would
    """

    def __init__(
        self,
        *,
        latency_ms: float = 0.0,
        metrics: MetricsMode = "available",
        continue_ttl_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self.clock = clock
        self._latency_ms = latency_ms
        self._metrics: MetricsMode = metrics
        self._continue_ttl = continue_ttl_seconds
        self._countdowns: list[_Countdown] = []
        self._malformed: set[str] = set()
        self._expire_next = 0
        self.watch_list = True
        self.protobuf = True

    # -- simple settings ------------------------------------------------------------------------
    @property
    def latency_ms(self) -> float:
        with self._lock:
            return self._latency_ms

    @latency_ms.setter
    def latency_ms(self, value: float) -> None:
        with self._lock:
            self._latency_ms = max(0.0, float(value))

    @property
    def metrics(self) -> MetricsMode:
        with self._lock:
            return self._metrics

    @metrics.setter
    def metrics(self, mode: MetricsMode) -> None:
        if mode not in ("available", "absent", "unavailable"):
            raise ValueError(f"metrics mode must be available, absent or unavailable, not {mode!r}")
        with self._lock:
            self._metrics = mode

    @property
    def metrics_available(self) -> bool:
        return self.metrics == "available"

    @metrics_available.setter
    def metrics_available(self, value: bool) -> None:
        self.metrics = "available" if value else "absent"

    @property
    def continue_ttl_seconds(self) -> float | None:
        with self._lock:
            return self._continue_ttl

    @continue_ttl_seconds.setter
    def continue_ttl_seconds(self, value: float | None) -> None:
        with self._lock:
            self._continue_ttl = value

    # -- countdown faults -----------------------------------------------------------------------
    def throttle(self, n: int, *, retry_after: int = 1, path_prefix: str = "") -> None:
        with self._lock:
            self._countdowns.append(_Countdown(n, path_prefix, 429, retry_after))

    def fail(self, n: int, *, status: int = 500, path_prefix: str = "") -> None:
        with self._lock:
            self._countdowns.append(_Countdown(n, path_prefix, status, 0))

    def malform(self, path_prefix: str, enabled: bool = True) -> None:
        with self._lock:
            if enabled:
                self._malformed.add(path_prefix)
            else:
                self._malformed.discard(path_prefix)

    def expire_continue(self, n: int) -> None:
        with self._lock:
            self._expire_next += n

    def reset(self) -> None:
        with self._lock:
            self._latency_ms = 0.0
            self._metrics = "available"
            self._continue_ttl = None
            self._countdowns.clear()
            self._malformed.clear()
            self._expire_next = 0
            self.watch_list = True
            self.protobuf = True

    # -- used by the server ---------------------------------------------------------------------
    def take(self, path: str) -> Injected | None:
        """Consume and return the fault for this request, if any is armed for its path."""
        with self._lock:
            for cd in self._countdowns:
                if cd.remaining > 0 and path.startswith(cd.path_prefix):
                    cd.remaining -= 1
                    self._countdowns = [c for c in self._countdowns if c.remaining > 0]
                    return Injected(cd.status, cd.retry_after)
            return None

    def take_continue_expiry(self) -> bool:
        with self._lock:
            if self._expire_next > 0:
                self._expire_next -= 1
                return True
            return False

    def is_malformed(self, path: str) -> bool:
        with self._lock:
            return any(path.startswith(p) for p in self._malformed)
