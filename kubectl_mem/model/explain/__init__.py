"""`kubectl mem explain` in the model: one pod's (or workload's) memory story as a typed result.

- `results`: the typed result (causes, evidence, sections, explanation)
- `evidence`: where facts come from; shared wording of causes and verdict
- `causes`: what ended the containers (OOM kill at the limit, node OOM, eviction, other SIGKILL)
- `sections`: the memory picture, QoS, eviction rank, oom_score_adj, runtime hints
- `verdict`: the leading paragraph, per pod and per workload
- `recommendation`: what the recommendation is built on
- `assemble`: the entry points, `explain_pod` and `explain`
"""

from kubectl_mem.model.explain.assemble import explain, explain_pod
from kubectl_mem.model.explain.results import (
    CAUSE_ORDER,
    Cause,
    CauseKind,
    CgroupPicture,
    Confidence,
    ContainerPicture,
    EventRecord,
    EvictionSection,
    Evidence,
    Explanation,
    MemoryVolume,
    OomScoreSection,
    PodExplanation,
    QosSection,
    WorkloadRef,
)

__all__ = [
    "CAUSE_ORDER",
    "Cause",
    "CauseKind",
    "CgroupPicture",
    "Confidence",
    "ContainerPicture",
    "EventRecord",
    "Evidence",
    "EvictionSection",
    "Explanation",
    "MemoryVolume",
    "OomScoreSection",
    "PodExplanation",
    "QosSection",
    "WorkloadRef",
    "explain",
    "explain_pod",
]
