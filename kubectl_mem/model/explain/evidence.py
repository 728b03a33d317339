"""Reading evidence: where each fact comes from, and the small wording shared by causes and verdict."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from kubectl_mem.model.cgroup import Figures
from kubectl_mem.model.explain.results import EventRecord, Evidence
from kubectl_mem.model.quantity import format_bytes, memory_bytes
from kubectl_mem.model.views import ContainerView, PodView
from kubectl_mem.model.words import parse_time

NODE_OOM_WINDOW = timedelta(minutes=3)  # a node OOM event this close to the kill counts as evidence


EVENT_TTL_NOTE = "events are kept for 1h by default: kube-apiserver --event-ttl"


KERNEL_SOURCE = "cgroup memory.events (node collector)"
KERNEL_SOURCE_V1 = "cgroup memory.oom_control (node collector)"  # v1 has no memory.events
KERNEL_SOURCES = (KERNEL_SOURCE, KERNEL_SOURCE_V1)


def kernel_source(f: Figures | None) -> str:
    """The evidence source naming the file the OOM counters came from."""
    return KERNEL_SOURCE_V1 if f is not None and f.oom_kills_file == "memory.oom_control" else KERNEL_SOURCE


PEAK_SOURCE = "cgroup memory.peak: the most this container instance used, page cache included"


def pct(p: float | None) -> str:
    return "-" if p is None else f"{p:.0f}%"


def status_path(c: ContainerView, current: bool) -> str:
    lst = "initContainerStatuses" if c.kind != "regular" else "containerStatuses"
    return f"status.{lst}[{c.name}].{'state' if current else 'lastState'}.terminated"


def events_near(
    t: datetime | None, events: Sequence[EventRecord], reasons: tuple[str, ...]
) -> list[EventRecord]:
    out = []
    for e in events:
        if e.reason not in reasons:
            continue
        et = parse_time(e.last_timestamp)
        if t is None or et is None or abs(et - t) <= NODE_OOM_WINDOW:
            out.append(e)
    return out


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "es" if word.endswith("s") else "s")


def pod_kernel_evidence(pv: PodView, pod_cg: Figures | None) -> tuple[Evidence, ...]:
    """The pod cgroup's OOM counters, when the collector read them: every kill since the pod
    started (v2), where the API keeps only each container's last termination; on cgroup v1 the
    kernel keeps no such count, and that is said instead of a 0."""
    if pod_cg is None:
        return ()
    if pod_cg.oom_kills is None:
        if pod_cg.oom_kills_not_counted is None:
            return ()
        return (
            Evidence(
                f"the pod's OOM kills since it started are {pod_cg.oom_kills_not_counted}; the API shows "
                f"{plural(pv.oom_kills, 'OOMKilled container')}: it keeps only each container's last "
                "termination",
                kernel_source(pod_cg),
            ),
        )
    ooms = "" if pod_cg.ooms is None else f"; oom {pod_cg.ooms}: times a cgroup of the pod reached its limit"
    return (
        Evidence(
            f"the kernel counted {plural(pod_cg.oom_kills, 'OOM kill')} in the pod's cgroup since it "
            f"started ({pod_cg.oom_kills_file or 'memory.events'} oom_kill {pod_cg.oom_kills}{ooms}); "
            f"the API shows {plural(pv.oom_kills, 'OOMKilled container')}: it keeps only each "
            "container's last termination",
            kernel_source(pod_cg),
        ),
    )


def kubelet_quantity(text: str) -> str:
    """A quantity from the kubelet's message ("81920Ki") in the short form used everywhere else."""
    if not text:
        return "?"
    try:
        return format_bytes(memory_bytes(text))
    except ValueError:
        return text
