"""Copy a simulated cluster's objects into a real apiserver, through its real admission and validation.

What the real server computes itself is not sent but compared: `spec.priority` and
`spec.preemptionPolicy` (Priority admission resolves them from the class), `status.qosClass` (set on
create). Server-owned metadata (uid, resourceVersion, creationTimestamp, managedFields) is dropped.
Status is written through the `/status` subresource, as the kubelet writes it. Every difference and
rejection is returned, so a test can assert there are none: the simulated cluster's objects are
objects a cluster can hold.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from envtest import ControlPlane

from kubectl_mem.sim import Cluster

Obj = dict[str, Any]
SERVER_METADATA = ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation")
REAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


@dataclass
class Loaded:
    """What the real server made of the simulated objects."""

    namespaces: list[str] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    pods: list[str] = field(default_factory=list)  # ns/name
    events: int = 0
    rejected: list[str] = field(default_factory=list)  # "kind ns/name: status message"
    differences: list[str] = field(default_factory=list)  # fields the server computed otherwise


def _clean(obj: Obj) -> Obj:
    obj = copy.deepcopy(obj)
    md = obj.setdefault("metadata", {})
    for k in SERVER_METADATA:
        md.pop(k, None)
    return obj


def _post(cp: ControlPlane, path: str, obj: Obj, what: str, loaded: Loaded) -> Obj | None:
    status, _, body = cp.request("POST", path, obj)
    if status == 409:
        return None
    if status >= 300:
        loaded.rejected.append(f"{what}: {status} {_message(body)}")
        return None
    return json.loads(body)


def _put_status(cp: ControlPlane, path: str, created: Obj, status_obj: Obj, what: str, loaded: Loaded) -> Obj:
    created = copy.deepcopy(created)
    created["status"] = status_obj
    status, _, body = cp.request("PUT", f"{path}/status", created)
    if status >= 300:
        loaded.rejected.append(f"{what} status: {status} {_message(body)}")
        return created
    return json.loads(body)


def _message(body: bytes) -> str:
    try:
        return json.loads(body).get("message", "")[:400]
    except ValueError:
        return body[:400].decode(errors="replace")


NOT_READY_TAINT = "node.kubernetes.io/not-ready"


def _untaint(cp: ControlPlane, created: Obj, node: Obj, loaded: Loaded) -> Obj:
    """The apiserver taints every new node not-ready; the node lifecycle controller (not running
    here) lifts the taint once the node is Ready. Do what it would, for the nodes the sim has Ready."""
    wanted = [t for t in node.get("spec", {}).get("taints", []) if t.get("key") != NOT_READY_TAINT]
    have = created["spec"].get("taints", [])
    if any(t.get("key") == NOT_READY_TAINT for t in node.get("spec", {}).get("taints", [])) or have == wanted:
        return created
    updated = copy.deepcopy(created)
    updated["spec"]["taints"] = wanted
    if not wanted:
        del updated["spec"]["taints"]
    name = created["metadata"]["name"]
    status, _, body = cp.request("PUT", f"/api/v1/nodes/{name}", updated)
    if status >= 300:
        loaded.rejected.append(f"Node {name} taints: {status} {_message(body)}")
        return created
    return json.loads(body)


def _on_loopback(status: Obj) -> Obj:
    """A node status whose kubelet the real apiserver will not dial off this machine: the tier's
    control plane dials only Hostname addresses (tests/conftest.py), and this one is `localhost`,
    which kube-apiserver's node proxy refuses ('address not allowed', 400) without a connection.
    The simulated nodes' InternalIPs (10.0.0.0/8) are off-machine addresses, never dialled."""
    status = copy.deepcopy(status)
    others = [a for a in status.get("addresses", []) if a.get("type") != "Hostname"]
    status["addresses"] = [*others, {"type": "Hostname", "address": "localhost"}]
    return status


def load(cp: ControlPlane, cluster: Cluster) -> Loaded:
    """Create the cluster's namespaces, priority classes, nodes, pods and events in `cp` (the nodes'
    kubelets unreachable: _on_loopback)."""
    loaded = Loaded()
    for ns in cluster.list("namespaces"):
        name = ns["metadata"]["name"]
        if name not in REAL_NAMESPACES:
            labels = {k: v for k, v in (ns["metadata"].get("labels") or {}).items()}
            cp.create_namespace(name, labels)
            loaded.namespaces.append(name)
        else:
            cp.apply(
                f"/api/v1/namespaces/{name}/serviceaccounts",
                {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}},
            )
    for pc in cluster.list("priorityclasses.scheduling.k8s.io"):
        if pc["metadata"]["name"].startswith("system-"):
            continue  # the apiserver makes these two itself
        _post(cp, "/apis/scheduling.k8s.io/v1/priorityclasses", _clean(pc), "PriorityClass", loaded)
    for node in cluster.list("nodes"):
        name = node["metadata"]["name"]
        created = _post(cp, "/api/v1/nodes", _clean(node), f"Node {name}", loaded)
        if created is not None:
            created = _untaint(cp, created, node, loaded)
            status = _on_loopback(node["status"])
            _put_status(cp, f"/api/v1/nodes/{name}", created, status, f"Node {name}", loaded)
            loaded.nodes.append(name)
    for pod in cluster.list("pods"):
        md = pod["metadata"]
        ns, name = md["namespace"], md["name"]
        what = f"Pod {ns}/{name}"
        obj = _clean(pod)
        obj.pop("status", None)
        obj["spec"].pop("priority", None)
        obj["spec"].pop("preemptionPolicy", None)
        path = f"/api/v1/namespaces/{ns}/pods"
        created = _post(cp, path, obj, what, loaded)
        if created is None:
            continue
        for key, sim_value, real_value in (
            ("spec.priority", pod["spec"].get("priority"), created["spec"].get("priority")),
            (
                "spec.preemptionPolicy",
                pod["spec"].get("preemptionPolicy"),
                created["spec"].get("preemptionPolicy"),
            ),
            ("status.qosClass", pod["status"].get("qosClass"), created["status"].get("qosClass")),
        ):
            if sim_value != real_value:
                loaded.differences.append(f"{what} {key}: sim {sim_value!r}, real {real_value!r}")
        status = dict(pod["status"])
        status["qosClass"] = created["status"].get("qosClass")
        _put_status(cp, f"{path}/{name}", created, status, what, loaded)
        loaded.pods.append(f"{ns}/{name}")
    for ev in cluster.list("events"):
        ns = ev["metadata"].get("namespace", "default")
        if _post(cp, f"/api/v1/namespaces/{ns}/events", _clean(ev), f"Event {ns}", loaded) is not None:
            loaded.events += 1
    return loaded
