"""Memory per workload: each owner's pods rolled up, what DaemonSets cost per node, the totals, and
one recommendation per workload template.

Pure. The input is the snapshot's pod views, so every figure is the sum of what `top` shows for
the pods; `explain deploy|sts|ds/x` calls `rollup_one` and `workload_recommendation` for the same
numbers. Definitions (docs/workloads.md says them too):

- active pods: bound to a node and not finished (`eviction.is_active`): the pods a node holds
  memory for. PODS shows them against the desired count where the owner says one.
- REQUESTED: sum of the active pods' memory request as the kubelet computes it
  (`requests.pod_memory_request`: pod-level resources, else the KEP-753 aggregation of the
  containers, plus the pod overhead).
- USED: sum of the active pods' working sets (metrics.k8s.io), over the pods that have one.
- IDLE: per pod, the sum over its regular and sidecar containers of max(0, request - working set)
  (a container without a request adds 0); with pod-level resources max(0, pod request - pod
  working set). Init containers have finished: their request reserves nothing idle to measure.
- A pod without usage ("unmeasured") adds to REQUESTED but to neither USED nor IDLE; both are then
  lower bounds and say so (`unmeasured` > 0). A pod whose working set is known but not that of a
  container with a request (a crash-looping container: the Summary API's pod cgroup figure only)
  adds to USED but not to IDLE (`idle_unmeasured`). IDLE% is IDLE over the REQUESTED of the pods
  whose IDLE is known.
- LIMITS: sum of the pods' cgroup limits; unbounded as soon as one pod has none, with the count of
  containers without a limit of their own.
- OOM kills and evictions: over every pod the API still keeps, finished ones included: containers
  whose last termination was OOMKilled, pods with status.reason Evicted.
- DaemonSets: their pods' requests per node; a node's sum is what it pays before any workload runs.
  Their working set per node is over the measured pods, with the count of those without one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence

import msgspec

from kubectl_mem.model.eviction import is_active
from kubectl_mem.model.owners import Owners, WorkloadKey
from kubectl_mem.model.requests import has_pod_level_resources
from kubectl_mem.model.views import NodeView, PodView
from kubectl_mem.model.workload_recommendation import WorkloadRecommendation, workload_recommendation


def idle_percent(idle: int | None, measured_requested: int) -> float | None:
    """IDLE% of a row or of the totals: over the requests of the pods whose usage is known."""
    if idle is None or not measured_requested:
        return None
    return 100.0 * idle / measured_requested


class Spread(msgspec.Struct, frozen=True, gc=False):
    """Working set per replica: replicas whose memory differs widely grow with something other
    than their share of the load (data per node, per tenant, a leak)."""

    min: int
    median: int
    max: int


class DaemonSetCost(msgspec.Struct, frozen=True, gc=False):
    nodes: int  # nodes its active pods run on
    request_per_pod: int  # the largest pod request (equal on every node unless mid-rollout)
    share_min: float | None  # its pod's request as % of the node's allocatable, smallest node share
    share_max: float | None


class WorkloadRow(msgspec.Struct, frozen=True, gc=False):
    kind: str
    namespace: str
    name: str
    inferred: bool  # the owner chain was inferred, not read (owners.py)
    pods: tuple[PodView, ...]  # every pod of it the API keeps, finished ones included
    active: int
    desired: int | None
    requested: int
    used: int | None  # None: no active pod measured
    idle: int | None
    measured_requested: int  # REQUESTED of the pods whose IDLE is known: IDLE% is over this
    unmeasured: int  # active pods without usage
    idle_unmeasured: int  # active pods with a working set but not each container's: IDLE lacks them
    limits: int | None  # None: unbounded
    containers_without_limit: int  # in pods without a cgroup limit
    best_effort: int
    oom_kills: int
    evictions: int
    spread: Spread | None
    recommendation: WorkloadRecommendation | None
    daemonset: DaemonSetCost | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"

    @property
    def idle_pct(self) -> float | None:
        return idle_percent(self.idle, self.measured_requested)

    @property
    def target(self) -> str:
        """kubectl's name for it: deployment/api."""
        return f"{self.kind.lower()}/{self.name}"


class WorkloadFigures(msgspec.Struct, frozen=True, gc=False):
    """A workload row's figures without its pods: what `explain deploy/x` shows, equal to the row."""

    active_pods: int
    desired_pods: int | None
    unmeasured_pods: int
    idle_unmeasured_pods: int
    requested: int
    used: int | None
    idle: int | None
    idle_percent: float | None
    limits: int | None  # None: unbounded
    containers_without_limit: int
    best_effort_pods: int
    oom_kills: int
    evictions: int
    saving: int | None
    samples: int
    history: str


def figures_of(r: WorkloadRow) -> WorkloadFigures:
    w = r.recommendation
    return WorkloadFigures(
        active_pods=r.active,
        desired_pods=r.desired,
        unmeasured_pods=r.unmeasured,
        idle_unmeasured_pods=r.idle_unmeasured,
        requested=r.requested,
        used=r.used,
        idle=r.idle,
        idle_percent=r.idle_pct,
        limits=r.limits,
        containers_without_limit=r.containers_without_limit,
        best_effort_pods=r.best_effort,
        oom_kills=r.oom_kills,
        evictions=r.evictions,
        saving=w.saving if w is not None else None,
        samples=w.samples if w is not None else 0,
        history=w.history if w is not None else "",
    )


class NamespaceRow(msgspec.Struct, frozen=True, gc=False):
    namespace: str
    workloads: int
    active: int
    requested: int
    used: int | None
    idle: int | None
    measured_requested: int
    unmeasured: int
    idle_unmeasured: int
    limits: int | None
    containers_without_limit: int
    best_effort: int
    oom_kills: int
    evictions: int
    saving: int | None

    @property
    def key(self) -> str:
        return self.namespace

    @property
    def idle_pct(self) -> float | None:
        return idle_percent(self.idle, self.measured_requested)


class DaemonSetNode(msgspec.Struct, frozen=True, gc=False):
    """What one node pays for the DaemonSets before any workload runs."""

    node: str
    pods: int
    requested: int
    used: int | None  # over its measured DaemonSet pods; None when none is measured
    unmeasured: int  # its DaemonSet pods without a working set: `used` is then a lower bound
    allocatable: int | None
    share: float | None  # requested as % of allocatable


class Totals(msgspec.Struct, frozen=True, gc=False):
    """The sums over the rows, and the cluster figures they are read against."""

    nodes: int
    allocatable: int | None  # sum over the nodes; None when nodes could not be read
    active: int
    requested: int
    used: int | None
    idle: int | None
    measured_requested: int
    unmeasured: int
    idle_unmeasured: int
    pods_without_limit: int
    best_effort: int
    oom_kills: int
    evictions: int
    saving: int | None
    daemonset_requested: int  # over every node
    daemonset_used: int | None  # a lower bound when daemonset_unmeasured > 0
    daemonset_unmeasured: int
    daemonset_per_node_min: int | None  # the least and the most a node pays
    daemonset_per_node_max: int | None

    @property
    def idle_pct(self) -> float | None:
        return idle_percent(self.idle, self.measured_requested)


class Workloads(msgspec.Struct, frozen=True, gc=False):
    rows: tuple[WorkloadRow, ...]  # sorted by idle, largest first
    namespaces: tuple[NamespaceRow, ...]
    daemonset_nodes: tuple[DaemonSetNode, ...]  # by node name
    totals: Totals


# ---------------------------------------------------------------------------------------------
# one pod


def pod_idle(pv: PodView) -> int | None:
    """max(0, request - working set) summed over the pod's regular and sidecar containers (pod-level
    resources: over the pod); None when a working set it needs is unknown."""
    if has_pod_level_resources(pv.pod):
        if pv.working_set is None:
            return None
        return max(0, pv.request - pv.working_set)
    idle = 0
    for c in pv.containers:
        if c.kind == "init" or not c.request:
            continue
        if c.working_set is None:
            return None
        idle += max(0, c.request - c.working_set)
    return idle


def _median(values: list[int]) -> int:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) // 2


# ---------------------------------------------------------------------------------------------
# rows


def rollup_one(
    kind: str,
    namespace: str,
    name: str,
    pods: Sequence[PodView],
    *,
    desired: int | None = None,
    inferred: bool = False,
    allocatable: Mapping[str, int] | None = None,
    highest: Mapping[tuple[str, str], int] | None = None,
    samples: int = 1,
    peaks: Mapping[tuple[str, str], int] | None = None,
    peak_source: str = "",
    limit_kills: Collection[str] | None = None,
    container: str | None = None,
    unreclaimable: Mapping[tuple[str, str], int] | None = None,
) -> WorkloadRow:
    """The row of one workload from all its pods; `explain deploy/x` takes its figures and its
    recommendation from here, with what it knows more (the kernel's peaks, which OOM kills its
    events show were the container's own limit, `-c`)."""
    requested = used = idle = measured_req = unmeasured = idle_unmeasured = 0
    idle_known = False
    limits = 0
    unbounded = False
    without = best_effort = oom = evictions = 0
    measured_ws: list[int] = []
    nodes: dict[str, int] = {}
    per_pod_request = 0
    live: list[PodView] = []
    daemonset = kind == "DaemonSet"
    for pv in pods:
        oom += pv.oom_kills
        if pv.evicted is not None:
            evictions += 1
        if not is_active(pv.pod):
            continue
        live.append(pv)
        request = pv.request
        requested += request
        ws = pv.working_set
        if ws is None:
            unmeasured += 1
        else:
            used += ws
            measured_ws.append(ws)
            pod_idle_ = pod_idle(pv)
            if pod_idle_ is None:
                idle_unmeasured += 1
            else:
                idle += pod_idle_
                measured_req += request
                idle_known = True
        if pv.limit is None:
            unbounded = True
            without += sum(1 for c in pv.containers if c.kind != "init" and c.limit is None)
        else:
            limits += pv.limit
        if pv.qos_class == "BestEffort":
            best_effort += 1
        if daemonset:
            nodes[pv.pod.node] = nodes.get(pv.pod.node, 0) + request
            per_pod_request = max(per_pod_request, request)
    active = len(live)
    spread = Spread(min(measured_ws), _median(measured_ws), max(measured_ws)) if measured_ws else None
    ds = None
    if kind == "DaemonSet" and active:
        shares = [
            100.0 * req / allocatable[n] for n, req in nodes.items() if allocatable and allocatable.get(n)
        ]
        ds = DaemonSetCost(
            nodes=len(nodes),
            request_per_pod=per_pod_request,
            share_min=min(shares) if shares else None,
            share_max=max(shares) if shares else None,
        )
    any_measured = bool(measured_ws)
    return WorkloadRow(
        kind=kind,
        namespace=namespace,
        name=name,
        inferred=inferred,
        pods=tuple(pods),
        active=active,
        desired=desired,
        requested=requested,
        used=used if any_measured else None,
        idle=idle if idle_known else None,
        measured_requested=measured_req,
        unmeasured=unmeasured,
        idle_unmeasured=idle_unmeasured,
        limits=None if unbounded else limits,
        containers_without_limit=without,
        best_effort=best_effort,
        oom_kills=oom,
        evictions=evictions,
        spread=spread,
        recommendation=workload_recommendation(
            pods,
            kind,
            name,
            active=live,
            container=container,
            highest=highest,
            samples=samples,
            peaks=peaks,
            peak_source=peak_source,
            limit_kills=limit_kills,
            unreclaimable=unreclaimable,
        ),
        daemonset=ds,
    )


def group_by_workload(
    pods: Iterable[PodView], owners: Owners
) -> dict[WorkloadKey, tuple[list[PodView], bool]]:
    """Pods by the workload they belong to, with whether that owner was inferred (owners.py)."""
    groups: dict[WorkloadKey, tuple[list[PodView], bool]] = {}
    for pv in pods:
        key, inferred = owners.resolve(pv.pod)
        g = groups.get(key)
        if g is None:
            groups[key] = ([pv], inferred)
        else:
            g[0].append(pv)
            if inferred and not g[1]:
                groups[key] = (g[0], True)
    return groups


def _sum_known(values: Iterable[int | None]) -> int | None:
    total, known = 0, False
    for v in values:
        if v is not None:
            total += v
            known = True
    return total if known else None


def _namespace_rows(rows: Sequence[WorkloadRow]) -> tuple[NamespaceRow, ...]:
    by_ns: dict[str, list[WorkloadRow]] = defaultdict(list)
    for r in rows:
        by_ns[r.namespace].append(r)
    out = []
    for ns, rs in sorted(by_ns.items()):
        out.append(
            NamespaceRow(
                namespace=ns,
                workloads=len(rs),
                active=sum(r.active for r in rs),
                requested=sum(r.requested for r in rs),
                used=_sum_known(r.used for r in rs),
                idle=_sum_known(r.idle for r in rs),
                measured_requested=sum(r.measured_requested for r in rs),
                unmeasured=sum(r.unmeasured for r in rs),
                idle_unmeasured=sum(r.idle_unmeasured for r in rs),
                limits=None if any(r.limits is None for r in rs) else sum(r.limits or 0 for r in rs),
                containers_without_limit=sum(r.containers_without_limit for r in rs),
                best_effort=sum(r.best_effort for r in rs),
                oom_kills=sum(r.oom_kills for r in rs),
                evictions=sum(r.evictions for r in rs),
                saving=_sum_known(r.recommendation.saving if r.recommendation else None for r in rs),
            )
        )
    return tuple(out)


def _daemonset_nodes(rows: Sequence[WorkloadRow], nodes: Sequence[NodeView]) -> tuple[DaemonSetNode, ...]:
    allocatable = {n.node.name: n.node.allocatable_memory for n in nodes}
    pods: dict[str, int] = defaultdict(int)
    requested: dict[str, int] = defaultdict(int)
    used: dict[str, int] = {}  # over the measured pods only
    unmeasured: dict[str, int] = defaultdict(int)
    for r in rows:
        if r.kind != "DaemonSet":
            continue
        for pv in r.pods:
            if not is_active(pv.pod):
                continue
            n = pv.pod.node
            pods[n] += 1
            requested[n] += pv.request
            if pv.working_set is not None:
                used[n] = used.get(n, 0) + pv.working_set
            else:
                unmeasured[n] += 1
    out = []
    for n in sorted(pods):
        alloc = allocatable.get(n) or None
        out.append(
            DaemonSetNode(
                node=n,
                pods=pods[n],
                requested=requested[n],
                used=used.get(n),
                unmeasured=unmeasured[n],
                allocatable=alloc,
                share=100.0 * requested[n] / alloc if alloc else None,
            )
        )
    return tuple(out)


def rollup(
    pods: Iterable[PodView],
    owners: Owners,
    nodes: Sequence[NodeView] = (),
    *,
    kinds: Collection[str] | None = None,
    highest: Mapping[tuple[str, str], int] | None = None,
    samples: int = 1,
    peaks: Mapping[tuple[str, str], int] | None = None,
    peak_source: str = "",
) -> Workloads:
    """Every workload of `pods` (the pods in scope, not the context pods of their nodes), its
    namespace sums, the DaemonSets' cost per node and the totals. `kinds` keeps only those kinds
    (the DaemonSets' cost per node is still computed from every DaemonSet in scope: every node pays
    it whatever is shown)."""
    allocatable = {n.node.name: n.node.allocatable_memory for n in nodes}
    all_rows: list[WorkloadRow] = []
    for key, (members, inferred) in group_by_workload(pods, owners).items():
        all_rows.append(
            rollup_one(
                key.kind,
                key.namespace,
                key.name,
                sorted(members, key=lambda pv: pv.pod.name),
                desired=owners.desired(key),
                inferred=inferred,
                allocatable=allocatable,
                highest=highest,
                samples=samples,
                peaks=peaks,
                peak_source=peak_source,
            )
        )
    ds_nodes = _daemonset_nodes(all_rows, nodes)
    rows = [r for r in all_rows if kinds is None or r.kind in kinds]
    rows.sort(key=lambda r: (-(r.idle or 0), r.namespace, r.kind, r.name))
    per_node = [d.requested for d in ds_nodes]
    totals = Totals(
        nodes=len(nodes),
        allocatable=sum(allocatable.values()) if nodes else None,
        active=sum(r.active for r in rows),
        requested=sum(r.requested for r in rows),
        used=_sum_known(r.used for r in rows),
        idle=_sum_known(r.idle for r in rows),
        measured_requested=sum(r.measured_requested for r in rows),
        unmeasured=sum(r.unmeasured for r in rows),
        idle_unmeasured=sum(r.idle_unmeasured for r in rows),
        pods_without_limit=sum(1 for r in rows for pv in r.pods if is_active(pv.pod) and pv.limit is None),
        best_effort=sum(r.best_effort for r in rows),
        oom_kills=sum(r.oom_kills for r in rows),
        evictions=sum(r.evictions for r in rows),
        saving=_sum_known(r.recommendation.saving if r.recommendation else None for r in rows),
        daemonset_requested=sum(per_node),
        daemonset_used=_sum_known(d.used for d in ds_nodes),
        daemonset_unmeasured=sum(d.unmeasured for d in ds_nodes),
        daemonset_per_node_min=min(per_node) if per_node else None,
        daemonset_per_node_max=max(per_node) if per_node else None,
    )
    return Workloads(tuple(rows), _namespace_rows(rows), ds_nodes, totals)
