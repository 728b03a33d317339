"""Which workload a pod belongs to, as kubectl shows it: its controller ownerReference, followed up.

- A pod's controller ownerReference names its owner: a ReplicaSet, StatefulSet, DaemonSet, Job,
  a custom controller, or a Node for a mirror pod (`kubectl describe` shows "Controlled By: Node/x").
- A ReplicaSet's own controller is its Deployment (or another controller, e.g. an Argo Rollout);
  a Job's is its CronJob. Both are read from the owners' own ownerReferences (the listed
  `Controller` records), never from names.
- When the ReplicaSets could not be listed (forbidden) or one is missing from the list (created
  after it), a ReplicaSet named `<name>-<pod-template-hash>` is taken to belong to Deployment
  `<name>`: the Deployment controller names its ReplicaSets so and puts that hash on their pods.
  Such a workload is marked `inferred`.
- A pod without a controller is its own workload, kind `Pod`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from kubectl_mem.model.records import Controller, Pod

# the kinds whose lists resolve a pod's workload, and what each list tells
LISTED_KINDS = ("ReplicaSet", "Deployment", "StatefulSet", "DaemonSet", "Job")


class WorkloadKey(NamedTuple):
    kind: str  # Deployment, StatefulSet, DaemonSet, CronJob, Job, ReplicaSet, Node, Pod, or a custom kind
    namespace: str
    name: str


class Resolved(NamedTuple):
    key: WorkloadKey
    inferred: bool  # the owner chain was not read from the API (see the module's comment)


def _label(pod: Pod, key: str) -> str:
    for k, v in pod.labels:
        if k == key:
            return v
    return ""


class Owners:
    """The controllers read from the API, and which kinds could be listed at all."""

    def __init__(self, controllers: Iterable[Controller] = (), listed: Iterable[str] = LISTED_KINDS) -> None:
        self._by_key: dict[tuple[str, str, str], Controller] = {
            (c.kind, c.namespace, c.name): c for c in controllers
        }
        self.listed = frozenset(listed)
        self._cache: dict[tuple[str, str, str], Resolved] = {}

    def get(self, kind: str, namespace: str, name: str) -> Controller | None:
        return self._by_key.get((kind, namespace, name))

    def desired(self, key: WorkloadKey) -> int | None:
        """How many pods the workload wants, when its object was listed and says so."""
        c = self._by_key.get(key)
        return None if c is None else c.desired

    def resolve(self, pod: Pod) -> Resolved:
        kind = pod.owner_kind
        if not kind:
            return Resolved(WorkloadKey("Pod", pod.namespace, pod.name), False)
        # one answer per owner: a ReplicaSet's pods all carry the hash that is part of its name
        ck = (kind, pod.namespace, pod.owner_name)
        hit = self._cache.get(ck)
        if hit is None:
            hit = self._cache[ck] = self._resolve(kind, pod.namespace, pod.owner_name, pod)
        return hit

    def _resolve(self, kind: str, namespace: str, name: str, pod: Pod) -> Resolved:
        if kind in ("ReplicaSet", "Job"):
            c = self._by_key.get((kind, namespace, name))
            if c is not None:
                if c.owner_kind and c.owner_name:
                    return Resolved(WorkloadKey(c.owner_kind, namespace, c.owner_name), False)
                return Resolved(WorkloadKey(kind, namespace, name), False)
            template_hash = _label(pod, "pod-template-hash") if kind == "ReplicaSet" else ""
            if template_hash and name.endswith(f"-{template_hash}"):
                deployment = name[: -len(template_hash) - 1]
                return Resolved(WorkloadKey("Deployment", namespace, deployment), True)
            # a Job whose list was not read may still belong to a CronJob: say it was not checked
            return Resolved(WorkloadKey(kind, namespace, name), kind not in self.listed)
        return Resolved(WorkloadKey(kind, namespace, name), False)
