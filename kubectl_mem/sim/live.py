"""A simulated cluster whose numbers move, as a real one's do: every `period_s` seconds metrics-server
(and the kubelet's Summary API, and the collector pods' cgroup trees, which read the same usage)
report a new working set for each running container and node, with a new timestamp.

A demo whose metrics never change shows "not growing" forever and a flat sparkline; this one shows
what an SRE sees: most containers wander a few percent around their level, a few grow steadily
towards their limit and level off just under it (a leak the view should point at), and a
crash-looping container is restarted when its back-off runs out and OOM-killed again a few seconds
later (restartCount, lastState and the back-off message change, as the kubelet reports them). Pods
too young for metrics get them once they are 30 s old. What cannot happen on a real cluster still
cannot: a working set stays under its container's limit, a node's working set holds its pods plus a
system share, and a node keeps the side of the eviction threshold its MemoryPressure condition says
it is on (the kubelet would change the condition otherwise).

Only the demo (`--demo`, `python -m kubectl_mem.sim serve` without --fixed-time) runs it; generated
clusters stay byte-reproducible for tests and benchmarks.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kubectl_mem.model.quantity import memory_bytes

from .builders import backoff_text, crash_backoff
from .cluster import Cluster, ContainerUsage, rfc3339
from .summary import EVICTION_HARD_BYTES

Mi = 1 << 20

__all__ = ["Live"]

NOISE = 0.03  # a container's working set wanders ± this share of its level
HEADROOM = 0.97  # growers level off here, as a share of their limit
MIN_WS = 2 * Mi
METRICS_AFTER = timedelta(seconds=30)  # metrics-server has scraped a new pod by then
CRASH_RUNS = timedelta(seconds=4)  # how long a crash-looping container lives before its next kill


@dataclass
class _Container:
    base: ContainerUsage
    limit: int | None
    amplitude: float
    period_s: float
    phase: float
    growth: float  # bytes per second; 0 for most


@dataclass
class _Pod:
    namespace: str
    name: str
    node: str
    metrics: bool  # metrics-server serves it (a pod too young or crash-looping has none)
    containers: dict[str, _Container]
    started: datetime


@dataclass
class _Node:
    base_ws: int
    base_pods_ws: int
    capacity: int
    pressure: bool
    cpu_nanocores: int


class Live:
    """Moves the usage of `cluster` every `period_s` seconds (start()/stop(), or tick() by hand)."""

    def __init__(self, cluster: Cluster, *, period_s: float = 5.0, seed: int = 0) -> None:
        self.cluster = cluster
        self.period_s = period_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = time.time()
        rng = random.Random(seed)
        self._pods: list[_Pod] = []
        self._nodes: dict[str, _Node] = {}
        pods_ws: dict[str, int] = {}
        for pod in cluster.list("pods"):
            md, spec = pod["metadata"], pod.get("spec", {})
            found = cluster.pod_usage(md["namespace"], md["name"])
            node = spec.get("nodeName")
            if found is None or not node or pod.get("status", {}).get("phase") != "Running":
                continue
            usage, _ = found
            limits = {
                c["name"]: _limit(c) for c in spec.get("containers", []) + spec.get("initContainers", [])
            }
            containers = {}
            for name, u in usage.items():
                limit = limits.get(name)
                growth = 0.0
                if limit is not None and u.working_set < 0.8 * limit and rng.random() < 0.12:
                    # a leak: reaches its plateau under the limit in 20 to 60 minutes
                    growth = (HEADROOM * limit - u.working_set) / rng.uniform(1200, 3600)
                containers[name] = _Container(
                    u, limit, rng.uniform(NOISE / 3, NOISE), rng.uniform(60, 300), rng.uniform(0, 6.3), growth
                )
            metrics = cluster.get_entry("pods.metrics.k8s.io", md["name"], md["namespace"]) is not None
            started = _time(pod["status"].get("startTime") or md["creationTimestamp"])
            self._pods.append(_Pod(md["namespace"], md["name"], node, metrics, containers, started))
            pods_ws[node] = pods_ws.get(node, 0) + sum(u.working_set for u in usage.values())
        for node in cluster.list("nodes"):
            name = node["metadata"]["name"]
            own = cluster.node_usage(name)
            if own is None:
                continue
            status = node.get("status", {})
            pressure = any(
                c.get("type") == "MemoryPressure" and c.get("status") == "True"
                for c in status.get("conditions") or []
            )
            capacity = memory_bytes(status.get("capacity", {}).get("memory", "0"))
            self._nodes[name] = _Node(
                own.working_set, pods_ws.get(name, 0), capacity, pressure, own.cpu_nanocores
            )

    def tick(self, now: float | None = None) -> None:
        """Report the usage of `now` (seconds since the epoch; default: the wall clock)."""
        now = time.time() if now is None else now
        elapsed = max(now - self._t0, 0.0)
        # what each container would use now: its level (grown, for a leak), with its wave
        wanted: dict[tuple[int, str], int] = {}
        delta: dict[str, tuple[int, int]] = {}  # node -> (growth, shrinkage) against the base
        for i, pod in enumerate(self._pods):
            for name, c in pod.containers.items():
                level = c.base.working_set + c.growth * elapsed
                if c.limit is not None and c.growth:
                    level = min(level, HEADROOM * c.limit)
                wave = 1 + c.amplitude * math.sin(2 * math.pi * elapsed / c.period_s + c.phase)
                ws = max(int(level * wave), MIN_WS)
                if c.limit is not None:
                    ws = min(ws, int(0.99 * c.limit))
                wanted[(i, name)] = ws
                up, down = delta.get(pod.node, (0, 0))
                d = ws - c.base.working_set
                delta[pod.node] = (up + max(d, 0), down + min(d, 0))
        # a node cannot hold more than its memory, nor cross its eviction threshold unseen: the
        # growth of its pods is scaled down to the room it has
        scale: dict[str, float] = {}
        for name, (up, down) in delta.items():
            n = self._nodes.get(name)
            if n is None or up == 0:
                continue
            room = self._ceiling(n) - n.base_ws
            scale[name] = min(max((room - down) / up, 0.0), 1.0)
        at = datetime.fromtimestamp(now, UTC)
        items = []
        pods_ws: dict[str, int] = {}
        for i, pod in enumerate(self._pods):
            usage = {}
            for name, c in pod.containers.items():
                ws = wanted[(i, name)]
                if ws > c.base.working_set:
                    ws = c.base.working_set + int((ws - c.base.working_set) * scale.get(pod.node, 1.0))
                usage[name] = dataclasses.replace(
                    c.base,
                    working_set=ws,
                    usage=None if c.base.usage is None else c.base.usage + ws - c.base.working_set,
                    page_faults=c.base.page_faults + int(elapsed) * 40,
                    cpu_nanocores=max(
                        int(c.base.cpu_nanocores * (1 + 0.2 * math.sin(elapsed / 7 + c.phase))), 1
                    ),
                )
            pod.metrics = pod.metrics or at - pod.started >= METRICS_AFTER
            crashing = self._crash_loops(pod, at)
            items.append((pod.namespace, pod.name, usage, pod.metrics and bool(usage) and not crashing))
            pods_ws[pod.node] = pods_ws.get(pod.node, 0) + sum(u.working_set for u in usage.values())
        with self.cluster.lock:
            self.cluster.now = datetime.fromtimestamp(int(now), UTC)
            self.cluster.set_pod_usage_many(items)
            for name, n in self._nodes.items():
                # the system's share stays; a node under pressure stays under its threshold
                ws = n.base_ws + pods_ws.get(name, 0) - n.base_pods_ws
                ws = min(ws, self._ceiling(n))
                if n.pressure:
                    ws = max(ws, n.capacity - EVICTION_HARD_BYTES + Mi)
                self.cluster.set_node_usage(name, ws, cpu_nanocores=n.cpu_nanocores)

    @staticmethod
    def _ceiling(n: _Node) -> int:
        """The most a node's working set may be: its memory, and under the eviction threshold unless
        it reports MemoryPressure (above it, memory.available < the threshold)."""
        edge = n.capacity - EVICTION_HARD_BYTES
        return n.capacity - Mi if n.pressure else edge - Mi

    def _crash_loops(self, pod: _Pod, at: datetime) -> bool:
        """Restart each crash-looping container of `pod` whose back-off ran out by `at`, and kill it
        again: the kubelet's loop (restartCount + 1, the new OOMKilled lastState, a longer back-off).
        True when the pod has such a container (metrics-server then has nothing for it)."""
        obj = self.cluster.get("pods", pod.name, pod.namespace)
        if obj is None:
            return False
        changed = crashing = False
        obj = copy.deepcopy(obj)
        for cs in obj["status"].get("containerStatuses") or []:
            waiting = (cs.get("state") or {}).get("waiting") or {}
            last = (cs.get("lastState") or {}).get("terminated") or {}
            if waiting.get("reason") != "CrashLoopBackOff" or "finishedAt" not in last:
                continue
            crashing = True
            while True:
                restart = _time(last["finishedAt"]) + crash_backoff(cs["restartCount"] + 1)
                if restart + CRASH_RUNS > at:
                    break
                cs["restartCount"] += 1
                cid = f"{cs.get('containerID', 'containerd://').split('://')[0]}://{random.getrandbits(256):064x}"
                last = {**last, "startedAt": rfc3339(restart), "finishedAt": rfc3339(restart + CRASH_RUNS)}
                last["containerID"] = cid
                cs["lastState"] = {"terminated": last}
                cs["containerID"] = cid
                wait = backoff_text(crash_backoff(cs["restartCount"] + 1))
                message = waiting.get("message", "")
                waiting["message"] = f"back-off {wait} restarting" + message.split(" restarting", 1)[-1]
                changed = True
        if changed:
            self.cluster.put("pods", obj)
        return crashing

    def start(self) -> Live:
        self._thread = threading.Thread(target=self._run, name="sim-live-metrics", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            self.tick()


def _time(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _limit(container: dict) -> int | None:
    q = (container.get("resources", {}).get("limits") or {}).get("memory")
    return memory_bytes(q) if q else None
