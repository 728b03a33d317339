"""OOM kills, other kills, restarts and evictions, read from pod and container status.

- A container's termination with reason `OOMKilled` is a cgroup OOM kill (its limit, or the pod's).
- Exit code 137 (128 + SIGKILL) *without* reason OOMKilled is reported as a SIGKILL, not as an OOM:
  liveness-probe kills after the grace period, a node-level OOM kill of a child process, a runtime
  kill... The runtime sets OOMKilled only when the cgroup recorded an OOM kill.
- An evicted pod has `status.reason: Evicted` and the kubelet's message
  (`pkg/kubelet/eviction/helpers.go evictionMessage`):
  `The node was low on resource: <res>. Threshold quantity: <q>, available: <q>. ` followed by
  `Container <name> was using <q>, request is <q>, has larger consumption of <res>. ` for each
  container over its request. Other resources (ephemeral-storage, pids) and other messages are
  kept raw.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from kubectl_mem.model.quantity import memory_bytes
from kubectl_mem.model.records import ContainerStatus, Pod, Termination
from kubectl_mem.model.views import EvictionMessage

TerminationKind = Literal["oom_killed", "sigkill", "signal", "error", "completed"]
OOM_KILLED = "OOMKilled"
SIGKILL_EXIT_CODE = 137

_NODE_LOW = re.compile(r"The node was low on resource: ([\w./-]+)\.")
_THRESHOLD = re.compile(r"Threshold quantity: (\S+?), available: (\S+?)\.(?:\s|$)")
_CONTAINER = re.compile(
    r"Container (\S+) was using (\S+?), request is (\S+?), has larger consumption of ([\w./-]+?)\.(?:\s|$)"
)


def termination_kind(t: Termination) -> TerminationKind:
    """What ended the container: the reason wins over the exit code."""
    if t.reason == OOM_KILLED:
        return "oom_killed"
    if t.exit_code == SIGKILL_EXIT_CODE or t.signal == 9:
        return "sigkill"
    if t.exit_code > 128 or t.signal:
        return "signal"
    if t.exit_code != 0:
        return "error"
    return "completed"


def describe_termination(t: Termination) -> str:
    """A short phrase: "OOMKilled (exit 137)", "killed by SIGKILL (exit 137), not an OOM kill"."""
    kind = termination_kind(t)
    if kind == "oom_killed":
        return f"OOMKilled (exit {t.exit_code})"
    if kind == "sigkill":
        return f"killed by SIGKILL (exit {t.exit_code}), not an OOM kill"
    if kind == "signal":
        return f"killed by signal {t.signal or t.exit_code - 128} (exit {t.exit_code})"
    if kind == "error":
        return f"exited {t.exit_code}" + (f" ({t.reason})" if t.reason else "")
    return "completed"


def last_termination(s: ContainerStatus) -> Termination | None:
    """The current terminated state when the container is down, else lastState.terminated."""
    return s.terminated if s.terminated is not None else s.last_termination


def was_oom_killed(s: ContainerStatus) -> bool:
    """Its last (or current) termination was an OOM kill."""
    return any(t is not None and t.reason == OOM_KILLED for t in (s.terminated, s.last_termination))


class PodHistory(NamedTuple):
    restarts: int
    oom_kills: int  # containers whose last or current termination was OOMKilled
    oom_killed: tuple[str, ...]
    sigkilled: tuple[str, ...]  # exit 137 without OOMKilled


def pod_history(pod: Pod) -> PodHistory:
    restarts = 0
    oom: list[str] = []
    sig: list[str] = []
    for s in pod.statuses:
        restarts += s.restart_count
        if was_oom_killed(s):
            oom.append(s.name)
        else:
            t = last_termination(s)
            if t is not None and termination_kind(t) == "sigkill":
                sig.append(s.name)
    return PodHistory(restarts, len(oom), tuple(oom), tuple(sig))


def _bytes_or_none(text: str) -> int | None:
    try:
        return memory_bytes(text)
    except ValueError:
        return None


def parse_eviction_message(message: str) -> EvictionMessage:
    """Parse the kubelet's eviction message; fields it cannot find stay empty, `raw` keeps it all."""
    resource = threshold = available = ""
    m = _NODE_LOW.search(message)
    if m:
        resource = m.group(1)
    m = _THRESHOLD.search(message)
    if m:
        threshold, available = m.group(1), m.group(2)
    containers = tuple(
        (c.group(1), _bytes_or_none(c.group(2)), _bytes_or_none(c.group(3)))
        for c in _CONTAINER.finditer(message)
    )
    return EvictionMessage(
        resource=resource, threshold=threshold, available=available, containers=containers, raw=message
    )


def eviction_of(pod: Pod) -> EvictionMessage | None:
    """The parsed eviction when the kubelet evicted the pod (status.reason Evicted), else None."""
    if pod.reason != "Evicted":
        return None
    return parse_eviction_message(pod.message)
