"""A simulated Kubernetes cluster: a real HTTPS apiserver on loopback serving generated or hand-built state.

kubectl, the kubernetes Python client and curl talk to it as to a cluster (see server.py for the request
flow, cluster.py for the state, scenario.py for the generator, builders.py for exact test objects).

from kubectl_mem.sim import start, generate
with start(generate(seed=1, nodes=6, pods=60)) as srv:
    kubeconfig = srv.write_kubeconfig(tmp_path / "kubeconfig")
"""

from .auth import ADMIN_TOKEN, Attributes, Auth, Rule, User
from .builders import (
    SYSTEM_PRIORITY_CLASSES,
    apply_defaults,
    compute_qos,
    container_id,
    eviction_message,
    make_container,
    make_event,
    make_namespace,
    make_node,
    make_node_metrics,
    make_pod,
    make_pod_metrics,
    make_priority_class,
    node_ip,
    oom_killed,
    pod_memory_request,
)
from .cluster import RESOURCES, Cluster, ContainerUsage
from .faults import Faults
from .scenario import DEFAULT_NOW, demo_cluster, generate
from .server import ApiError, RequestContext, RequestRecord, Response, Router, SimServer, start

__all__ = [
    "ADMIN_TOKEN",
    "DEFAULT_NOW",
    "RESOURCES",
    "SYSTEM_PRIORITY_CLASSES",
    "ApiError",
    "Attributes",
    "Auth",
    "Cluster",
    "ContainerUsage",
    "Faults",
    "RequestContext",
    "RequestRecord",
    "Response",
    "Router",
    "Rule",
    "SimServer",
    "User",
    "apply_defaults",
    "compute_qos",
    "container_id",
    "demo_cluster",
    "eviction_message",
    "generate",
    "make_container",
    "make_event",
    "make_namespace",
    "make_node",
    "make_node_metrics",
    "make_pod",
    "make_pod_metrics",
    "make_priority_class",
    "node_ip",
    "oom_killed",
    "pod_memory_request",
    "start",
]
