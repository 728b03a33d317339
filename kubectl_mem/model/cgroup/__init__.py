"""The kernel's memory figures of a node's cgroups, in the model (pure, no I/O).

- `records`: the typed records of the collector's output (`CgroupSnapshot`, `CgroupMemory` ...)
- `parse`: collector output (kube/collector.sh's text) -> `CgroupSnapshot`
- `names`: cgroup directory names -> pod UID, container ID, runtime, QoS tier
- `semantics`: what the numbers mean (working set, limits, reclaimable vs unreclaimable)
- `view`: `Figures` per cgroup and `CgroupOverlay`, the form every view shows
- `mapping`: cgroups -> the pods, containers and nodes the API lists (collector or Summary API)
"""

from kubectl_mem.model.cgroup.mapping import (
    attach,
    attach_summary,
    available_from,
    cgroup_figures,
    overlay,
    summary_figures,
    with_node_memory,
)
from kubectl_mem.model.cgroup.names import (
    QosTier,
    container_from_cgroup_name,
    normalize_pod_uid,
    pod_uid_from_cgroup_name,
    qos_from_cgroup_name,
    split_container_id,
)
from kubectl_mem.model.cgroup.parse import FORMAT_VERSION, MAGIC, MAX_PROBLEMS, parse_cgroup_dump
from kubectl_mem.model.cgroup.records import (
    Breakdown,
    CgroupKind,
    CgroupMemory,
    CgroupSnapshot,
    CgroupVersion,
    MemoryEvents,
    NodeMemory,
    OomEventsScope,
    PodCgroups,
    Pressure,
    PsiLine,
)
from kubectl_mem.model.cgroup.semantics import (
    NOT_COUNTED_LOCALEVENTS,
    NOT_COUNTED_V1,
    UNLIMITED_FROM,
    V1_UNLIMITED,
    breakdown,
    parse_limit,
    pods_not_counted,
    working_set,
)
from kubectl_mem.model.cgroup.view import (
    CgroupOverlay,
    ContainerCgroup,
    Figures,
    NodeCgroup,
    NotRunning,
    PodCgroup,
    Source,
)

__all__ = [
    "FORMAT_VERSION",
    "MAGIC",
    "MAX_PROBLEMS",
    "NOT_COUNTED_LOCALEVENTS",
    "NOT_COUNTED_V1",
    "UNLIMITED_FROM",
    "V1_UNLIMITED",
    "Breakdown",
    "CgroupKind",
    "CgroupMemory",
    "CgroupOverlay",
    "CgroupSnapshot",
    "CgroupVersion",
    "ContainerCgroup",
    "Figures",
    "MemoryEvents",
    "NodeCgroup",
    "NodeMemory",
    "NotRunning",
    "OomEventsScope",
    "PodCgroup",
    "PodCgroups",
    "Pressure",
    "PsiLine",
    "QosTier",
    "Source",
    "attach",
    "attach_summary",
    "available_from",
    "breakdown",
    "cgroup_figures",
    "container_from_cgroup_name",
    "normalize_pod_uid",
    "overlay",
    "parse_cgroup_dump",
    "parse_limit",
    "pod_uid_from_cgroup_name",
    "pods_not_counted",
    "qos_from_cgroup_name",
    "split_container_id",
    "summary_figures",
    "with_node_memory",
    "working_set",
]
