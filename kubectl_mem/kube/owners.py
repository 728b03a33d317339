"""The objects that own pods, listed slimly, for resolving each pod's workload (model/owners.py).

- ReplicaSets and Jobs: only their metadata (`Accept: ...;as=PartialObjectMetadataList`), since
  only their ownerReferences are needed: a ReplicaSet carries its whole pod template, and a
  Deployment keeps up to ten old ones (`revisionHistoryLimit`).
- Deployments and StatefulSets: `spec.replicas`; DaemonSets: `status.desiredNumberScheduled`. Their
  full objects travel, but decode into three fields.
Each list is paginated like the pod list. A list that is forbidden or not served is a `Problem`
saying what it hides; the rest still resolves (ReplicaSets by name, see model/owners.py).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import quote

import msgspec

from kubectl_mem.errors import ApiNotFoundError, ForbiddenError
from kubectl_mem.kube import wire
from kubectl_mem.kube.http import Transport
from kubectl_mem.kube.lists import list_all
from kubectl_mem.model.records import Controller

PARTIAL_METADATA = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"

_i = __import__("sys").intern


class _Meta(msgspec.Struct, rename="camel", gc=False):
    name: str = ""
    namespace: str = ""
    owner_references: list[wire.OwnerReference] | None = None


class _Spec(msgspec.Struct, rename="camel", gc=False):
    replicas: int | None = None


class _Status(msgspec.Struct, rename="camel", gc=False):
    desired_number_scheduled: int | None = None


class _Object(msgspec.Struct, gc=False):
    metadata: _Meta = msgspec.field(default_factory=_Meta)
    spec: _Spec = msgspec.field(default_factory=_Spec)
    status: _Status = msgspec.field(default_factory=_Status)


class _List(msgspec.Struct, gc=False):
    metadata: wire.ListMeta = msgspec.field(default_factory=wire.ListMeta)
    items: list[_Object] = msgspec.field(default_factory=list)


_decoder = msgspec.json.Decoder(_List)


@dataclass(frozen=True)
class OwnerList:
    kind: str
    group: str  # apps, batch
    resource: str
    metadata_only: bool
    desired: Callable[[_Object], int | None]
    hides: str  # what is unknown without it


OWNER_LISTS: tuple[OwnerList, ...] = (
    OwnerList(
        "ReplicaSet",
        "apps",
        "replicasets",
        True,
        lambda o: None,
        "Deployments are inferred from their pods' ReplicaSet names (pod-template-hash)",
    ),
    OwnerList(
        "Deployment",
        "apps",
        "deployments",
        False,
        lambda o: o.spec.replicas,
        "Deployments' desired replicas unknown",
    ),
    OwnerList(
        "StatefulSet",
        "apps",
        "statefulsets",
        False,
        lambda o: o.spec.replicas,
        "StatefulSets' desired replicas unknown",
    ),
    OwnerList(
        "DaemonSet",
        "apps",
        "daemonsets",
        False,
        lambda o: o.status.desired_number_scheduled,
        "DaemonSets' desired pods (nodes) unknown",
    ),
    OwnerList("Job", "batch", "jobs", True, lambda o: None, "Jobs are not grouped under their CronJobs"),
)


def owners_page(kind: str, desired: Callable[[_Object], int | None]):
    def decode(body: bytes) -> tuple[list[Controller], wire.ListMeta]:
        page = _decoder.decode(body)
        out = []
        for o in page.items:
            md = o.metadata
            owner_kind = owner_name = ""
            for ref in md.owner_references or ():
                if ref.controller or not owner_kind:
                    owner_kind, owner_name = ref.kind, ref.name
            out.append(Controller(kind, _i(md.namespace), md.name, _i(owner_kind), owner_name, desired(o)))
        return out, page.metadata

    return decode


def list_path(ol: OwnerList, namespace: str | None) -> str:
    base = f"/apis/{ol.group}/v1"
    if namespace:
        return f"{base}/namespaces/{quote(namespace, safe='')}/{ol.resource}"
    return f"{base}/{ol.resource}"


@dataclass
class OwnerFutures:
    futures: dict[str, Future] = field(default_factory=dict)  # kind -> its list


def submit(pool: ThreadPoolExecutor, transport: Transport, namespace: str | None) -> OwnerFutures:
    """Start every owner list in `pool` (all namespaces when `namespace` is None)."""
    out = OwnerFutures()
    for ol in OWNER_LISTS:
        out.futures[ol.kind] = pool.submit(
            list_all,
            transport,
            list_path(ol, namespace),
            owners_page(ol.kind, ol.desired),
            accept=PARTIAL_METADATA if ol.metadata_only else "application/json",
        )
    return out


@dataclass
class OwnersResult:
    controllers: list[Controller]
    listed: frozenset[str]  # the kinds whose list was read
    problems: list[tuple[str, str]]  # (source, message): one per list that could not be read


def collect(futures: OwnerFutures, namespace: str | None) -> OwnersResult:
    controllers: list[Controller] = []
    listed: set[str] = set()
    problems: list[tuple[str, str]] = []
    for ol in OWNER_LISTS:
        try:
            controllers.extend(futures.futures[ol.kind].result())
            listed.add(ol.kind)
        except (ForbiddenError, ApiNotFoundError) as e:
            where = f'in namespace "{namespace}"' if namespace else "in all namespaces"
            why = "forbidden" if isinstance(e, ForbiddenError) else "not served"
            problems.append(
                (
                    ol.resource,
                    f"cannot list {ol.resource}.{ol.group} {where} ({why}): {ol.hides}: {e.message}",
                )
            )
    return OwnersResult(controllers, frozenset(listed), problems)
