"""The kubelet's rules the tests check the simulated cluster against, written here from the reference
(shared/reference/kubernetes-memory.md), apart from the sim's own code."""

from __future__ import annotations

from typing import Any

from kubectl_mem.model.quantity import memory_bytes
from kubectl_mem.sim import compute_qos

Obj = dict[str, Any]


def container_limits(pod: Obj) -> dict[str, int]:
    """Each container's memory limit in bytes, 0 for none (init containers included)."""
    spec = pod["spec"]
    out = {}
    for c in spec.get("initContainers", []) + spec.get("containers", []):
        q = (c.get("resources", {}).get("limits") or {}).get("memory")
        out[c["name"]] = memory_bytes(q) if q else 0
    return out


def kubelet_pod_limit(pod: Obj) -> int | None:
    """ResourceConfigForPod's memory (pkg/kubelet/cm/helpers_linux.go, reference §5.3): the KEP-753
    aggregate of the limits, set for Guaranteed pods, for Burstable ones only when every container
    (and every init container, counted with the sidecars before it) declares a limit."""
    spec, limits = pod["spec"], container_limits(pod)
    regular = [limits[c["name"]] for c in spec.get("containers", [])]
    total, declared = sum(regular), all(regular)
    sidecars, init_max = 0, 0
    for c in spec.get("initContainers", []):
        if c.get("restartPolicy") == "Always":
            sidecars += limits[c["name"]]
            total += limits[c["name"]]
            declared = declared and sidecars > 0
            init_max = max(init_max, sidecars)
        else:
            declared = declared and limits[c["name"]] + sidecars > 0
            init_max = max(init_max, limits[c["name"]] + sidecars)
    qos = pod["status"].get("qosClass") or compute_qos(pod)
    if qos == "BestEffort" or (qos == "Burstable" and not declared):
        return None
    return max(total, init_max)
