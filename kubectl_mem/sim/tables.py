"""Server-side printing (meta.k8s.io Table), as kubectl's human-readable `get` asks for it.

Cells follow pkg/printers/internalversion/printers.go (printPod, printNode, printNamespace,
printPriorityClass); other resources get the default Name / Created At columns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

__all__ = ["columns_for", "human_duration", "row_cells"]

Obj = dict[str, Any]
Col = dict[str, Any]


def _col(name: str, typ: str = "string", desc: str = "", fmt: str = "", priority: int = 0) -> Col:
    return {"name": name, "type": typ, "format": fmt, "description": desc, "priority": priority}


_NAME = _col(
    "Name",
    fmt="name",
    desc="Name must be unique within a namespace. Is required when creating "
    "resources, although some resources may allow a client to request the generation of an appropriate "
    "name automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/"
    "working-with-objects/names#names",
)
_AGE = _col(
    "Age",
    desc="CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate operations. Clients "
    "may not set this value. It is represented in RFC3339 form and is in UTC.",
)

_COLUMNS: dict[str, list[Col]] = {
    "pods": [
        _NAME,
        _col("Ready", desc="The aggregate readiness state of this pod for accepting traffic."),
        _col("Status", desc="The aggregate status of the containers in this pod."),
        _col(
            "Restarts",
            desc="The number of times the containers in this pod have been restarted and when "
            "the last container in this pod has restarted.",
        ),
        _AGE,
        _col(
            "IP",
            desc="IP address allocated to the pod. Routable at least within the cluster. Empty if "
            "not yet allocated.",
            priority=1,
        ),
        _col("Node", desc="NodeName is a request to schedule this pod onto a specific node.", priority=1),
        _col(
            "Nominated Node",
            desc="nominatedNodeName is set only when this pod preempts other pods on the node.",
            priority=1,
        ),
        _col(
            "Readiness Gates",
            desc="If specified, all readiness gates will be evaluated for pod readiness.",
            priority=1,
        ),
    ],
    "nodes": [
        _NAME,
        _col("Status", desc="The status of the node"),
        _col("Roles", desc="The roles of the node"),
        _AGE,
        _col("Version", desc="Kubelet Version reported by the node."),
        _col("Internal-IP", desc="List of addresses reachable to the node.", priority=1),
        _col("External-IP", desc="List of addresses reachable to the node.", priority=1),
        _col("OS-Image", desc="OS Image reported by the node from /etc/os-release.", priority=1),
        _col("Kernel-Version", desc="Kernel Version reported by the node.", priority=1),
        _col("Container-Runtime", desc="Container runtime version reported by the node.", priority=1),
    ],
    "namespaces": [_NAME, _col("Status", desc="The status of the namespace"), _AGE],
    "priorityclasses.scheduling.k8s.io": [
        _NAME,
        _col("Value", "integer", "The value of this priority class."),
        _col(
            "Global-Default",
            "boolean",
            "globalDefault specifies whether this PriorityClass should be "
            "considered as the default priority.",
        ),
        _AGE,
        _col(
            "Preemption-Policy",
            desc="preemptionPolicy is the Policy for preempting pods with lower priority.",
        ),
    ],
}
_DEFAULT = [
    _NAME,
    _col(
        "Created At",
        "date",
        "CreationTimestamp is a timestamp representing the server time when this object was created.",
    ),
]


def columns_for(resource: str) -> list[Col]:
    return _COLUMNS.get(resource, _DEFAULT)


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def _epoch(ts: str | None) -> float:
    if not ts:
        return 0.0
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def _since(ts: str | None, now: float) -> str:
    return "<unknown>" if not ts else human_duration(now - _epoch(ts))


def _pod_cells(pod: Obj, now: float) -> list[Any]:
    spec, status, md = pod.get("spec", {}), pod.get("status", {}), pod["metadata"]
    restarts = restartable_restarts = 0
    total = len(spec.get("containers", []))
    ready = 0
    last_restart = last_sidecar_restart = ""
    reason = status.get("reason") or status.get("phase", "")
    inits = {c["name"]: c for c in spec.get("initContainers", [])}
    total += sum(1 for c in inits.values() if c.get("restartPolicy") == "Always")
    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses", [])):
        restarts += cs.get("restartCount", 0)
        term_last = cs.get("lastState", {}).get("terminated")
        if term_last:
            last_restart = max(last_restart, term_last.get("finishedAt", ""))
        sidecar = inits.get(cs["name"], {}).get("restartPolicy") == "Always"
        if sidecar:
            restartable_restarts += cs.get("restartCount", 0)
            if term_last:
                last_sidecar_restart = max(last_sidecar_restart, term_last.get("finishedAt", ""))
        state = cs.get("state", {})
        term, wait = state.get("terminated"), state.get("waiting")
        if term and term.get("exitCode") == 0:
            continue
        if sidecar and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        if term:
            reason = (
                "Init:" + term["reason"]
                if term.get("reason")
                else f"Init:Signal:{term['signal']}"
                if term.get("signal")
                else f"Init:ExitCode:{term.get('exitCode')}"
            )
        elif wait and wait.get("reason") and wait["reason"] != "PodInitializing":
            reason = "Init:" + wait["reason"]
        else:
            reason = f"Init:{i}/{len(inits)}"
        initializing = True
        break
    initialized = any(
        c.get("type") == "Initialized" and c.get("status") == "True" for c in status.get("conditions", [])
    )
    if not initializing or initialized:
        restarts, last_restart = restartable_restarts, last_sidecar_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses", [])):
            restarts += cs.get("restartCount", 0)
            term_last = cs.get("lastState", {}).get("terminated")
            if term_last:
                last_restart = max(last_restart, term_last.get("finishedAt", ""))
            state = cs.get("state", {})
            wait, term = state.get("waiting"), state.get("terminated")
            if wait and wait.get("reason"):
                reason = wait["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                reason = (
                    f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{term.get('exitCode')}"
                )
            elif cs.get("ready") and "running" in state:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            ready_cond = any(
                c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions", [])
            )
            reason = "Running" if ready_cond else "NotReady"
    if md.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif md.get("deletionTimestamp") and status.get("phase") not in ("Failed", "Succeeded"):
        reason = "Terminating"
    restarts_str = str(restarts)
    if restarts and last_restart:
        restarts_str = f"{restarts} ({_since(last_restart, now)} ago)"
    ips = status.get("podIPs") or []
    gates = spec.get("readinessGates") or []
    if gates:
        true = {c.get("type") for c in status.get("conditions", []) if c.get("status") == "True"}
        gates_str = f"{sum(1 for g in gates if g.get('conditionType') in true)}/{len(gates)}"
    else:
        gates_str = "<none>"
    return [
        md["name"],
        f"{ready}/{total}",
        reason,
        restarts_str,
        _since(md.get("creationTimestamp"), now),
        (ips[0].get("ip") if ips else "") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_str,
    ]


def _node_cells(node: Obj, now: float) -> list[Any]:
    md, spec, status = node["metadata"], node.get("spec", {}), node.get("status", {})
    conds = {c["type"]: c["status"] for c in status.get("conditions", [])}
    state = {"True": "Ready", "False": "NotReady"}.get(conds.get("Ready", ""), "Unknown")
    if spec.get("unschedulable"):
        state += ",SchedulingDisabled"
    roles = sorted(
        k.split("/", 1)[1]
        for k in md.get("labels", {})
        if k.startswith("node-role.kubernetes.io/") and k.split("/", 1)[1]
    )
    addr = {a["type"]: a["address"] for a in status.get("addresses", [])}
    info = status.get("nodeInfo", {})
    return [
        md["name"],
        state,
        ",".join(roles) or "<none>",
        _since(md.get("creationTimestamp"), now),
        info.get("kubeletVersion", ""),
        addr.get("InternalIP", "<none>"),
        addr.get("ExternalIP", "<none>"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _namespace_cells(ns: Obj, now: float) -> list[Any]:
    return [
        ns["metadata"]["name"],
        ns.get("status", {}).get("phase", ""),
        _since(ns["metadata"].get("creationTimestamp"), now),
    ]


def _pc_cells(pc: Obj, now: float) -> list[Any]:
    return [
        pc["metadata"]["name"],
        pc.get("value", 0),
        bool(pc.get("globalDefault")),
        _since(pc["metadata"].get("creationTimestamp"), now),
        pc.get("preemptionPolicy", ""),
    ]


def _default_cells(obj: Obj, now: float) -> list[Any]:
    md = obj.get("metadata", {})
    return [md.get("name", ""), md.get("creationTimestamp") or obj.get("timestamp")]


_CELLS: dict[str, Callable[[Obj, float], list[Any]]] = {
    "pods": _pod_cells,
    "nodes": _node_cells,
    "namespaces": _namespace_cells,
    "priorityclasses.scheduling.k8s.io": _pc_cells,
}


def row_cells(resource: str, obj: Obj, now: float | None = None) -> list[Any]:
    return _CELLS.get(resource, _default_cells)(obj, time.time() if now is None else now)
