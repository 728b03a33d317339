"""Deterministic cluster generator: the same (seed, nodes, pods, now) gives byte-identical objects.

Every cluster of at least ~6 nodes / 60 pods contains the situations kubectl-mem must explain: OOMKilled
restarts, Evicted pods with the kubelet's message, a node under MemoryPressure and nodes close to the
100Mi hard threshold, Guaranteed / Burstable / BestEffort pods, sidecars,
init containers, priority classes (system-*, custom, a globalDefault), mirror pods, Pending pods, pods
too young to have metrics, and Go / JVM / Node.js / Python workloads with and without memory settings.
Usage is consistent everywhere: PodMetrics = container working sets, Summary pod WS = containers +
pause, node WS = pods + a system share.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kubectl_mem.model.quantity import memory_bytes

from .builders import (
    crash_backoff,
    eviction_message,
    make_container,
    make_event,
    make_namespace,
    make_node,
    make_pod,
    make_priority_class,
    node_ip,
    oom_killed,
)
from .cgtree import Layout
from .cluster import Cluster, ContainerUsage
from .controllers import (
    make_cronjob,
    make_daemonset,
    make_deployment,
    make_job,
    make_replicaset,
    make_statefulset,
)

Gi = 1 << 30
Mi = 1 << 20

__all__ = ["DEFAULT_NOW", "DEMO_NAMESPACE", "demo_cluster", "generate"]

Obj = dict[str, Any]
DEMO_PODS = 74  # the demo's size: the app stories (60 pods hold them) plus the workload showcases
DEFAULT_NOW = datetime(2025, 6, 2, 9, 30, 0, tzinfo=UTC)  # fixed so scenarios are byte-reproducible
# The demo context's namespace: the showcase workloads (one story each) all live here, so `top --demo`
# and `explain --demo NAME` (both in the context's namespace, as kubectl) show every story.
DEMO_NAMESPACE = "team-search"
# The demo's cgroup layouts by node (podlife.PodLife.layouts; the others: cgroup v2, systemd). Its
# smaller, older machine still runs cgroup v1, as nodes do mid-migration: there the kernel counts no
# OOM kill per pod (memory.oom_control is local), which every view shows as -, with the reason.
DEMO_LAYOUTS = {"node-4": Layout("v1", "cgroupfs", "containerd")}
_ALNUM = "bcdfghjklmnpqrstvwxz2456789"
_SIZES_GI = (8, 16, 32, 64, 128, 256, 512)
# (runtime, (qos roll, memory-settings roll)) of the first app workloads; _emit gives workload k story k:
# 0/9 OOMKilled, 5 OOMKilled + CrashLoopBackOff, 1/6 Evicted, 2 Pending, 3 too young for metrics (and has
# a sidecar and an init container), 4 nothing special (every pod has a qosClass: the apiserver sets it).
_SHOWCASE: list[tuple[str, tuple[float, float]]] = [
    ("go", (0.1, 0.9)),  # Burstable, no GOMEMLIMIT
    ("python", (0.8, 0.0)),  # request only, no limit
    ("jvm", (0.1, 0.1)),  # Guaranteed, MaxRAMPercentage
    ("node", (0.1, 0.1)),  # limit + NODE_OPTIONS
    ("nginx", (0.1, 0.0)),
    ("node", (0.1, 0.9)),  # limit, no NODE_OPTIONS
    ("python", (0.05, 0.0)),  # BestEffort
    ("jvm", (0.1, 0.2)),  # Guaranteed, MaxRAMPercentage
    ("go", (0.8, 0.4)),  # Guaranteed, GOMEMLIMIT from the downward API
    ("jvm", (0.8, 0.5)),  # Burstable, -Xmx
]
_PRIORITY = {
    "system-cluster-critical": 2000000000,
    "system-node-critical": 2000001000,
    "high-priority": 1000000,
    "default-priority": 1000,
    "low-priority": -10,
}


@dataclass
class _Plan:
    """A container to create plus how its memory behaves."""

    spec: Obj
    ws: Callable[[random.Random], int]


@dataclass
class _Workload:
    kind: str  # Deployment / StatefulSet / DaemonSet / Job
    name: str
    namespace: str
    containers: list[_Plan]
    init: list[_Plan] = field(default_factory=list)
    replicas: int = 1
    priority_class: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    volumes: list[Obj] = field(default_factory=list)


def _suffix(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_ALNUM) for _ in range(n))


def _res(
    req_mem: str | None, lim_mem: str | None, req_cpu: str | None = "100m", lim_cpu: str | None = None
) -> tuple[dict[str, str] | None, dict[str, str] | None]:
    req = {k: v for k, v in (("cpu", req_cpu), ("memory", req_mem)) if v}
    lim = {k: v for k, v in (("cpu", lim_cpu), ("memory", lim_mem)) if v}
    return req or None, lim or None


def _ws_rel(base: int, lo: float, hi: float) -> Callable[[random.Random], int]:
    return lambda rng: int(base * rng.uniform(lo, hi))


def _usage_profile(
    rng: random.Random, req: dict[str, str] | None, lim: dict[str, str] | None, fallback: int
) -> Callable[[random.Random], int]:
    """Working set relative to limit (some at 90-99%), else to request (some above it)."""
    if lim and "memory" in lim:
        limit = memory_bytes(lim["memory"])
        roll = rng.random()
        if roll < 0.12:
            return _ws_rel(limit, 0.90, 0.99)
        if roll < 0.30:
            return _ws_rel(limit, 0.70, 0.90)
        return _ws_rel(limit, 0.25, 0.70)
    if req and "memory" in req:
        request = memory_bytes(req["memory"])
        return _ws_rel(request, 0.6, 1.9) if rng.random() < 0.4 else _ws_rel(request, 0.3, 0.95)
    return _ws_rel(fallback, 0.4, 1.6)


def _app_container(
    rng: random.Random, runtime: str, name: str, rolls: tuple[float, float] | None = None
) -> _Plan:
    """A main container of one of the runtimes kubectl-mem gives hints for. `rolls` (QoS, memory
    settings) pins the variant; the showcase workloads use it."""
    qos_roll, r = rolls if rolls is not None else (rng.random(), rng.random())
    if runtime == "go":
        mem = rng.choice(["256Mi", "512Mi", "1Gi"])
        req, lim = (
            _res(f"{memory_bytes(mem) // Mi // 2}Mi", mem)
            if qos_roll < 0.7
            else _res(mem, mem, "250m", "250m")
        )
        env: list[Obj] = [{"name": "LOG_LEVEL", "value": "info"}]
        if r < 0.3:
            env.append({"name": "GOMEMLIMIT", "value": f"{memory_bytes(mem) * 9 // 10 // Mi}MiB"})
        elif r < 0.55:
            env.append(
                {
                    "name": "GOMEMLIMIT",
                    "valueFrom": {
                        "resourceFieldRef": {
                            "containerName": name,
                            "resource": "limits.memory",
                            "divisor": "0",
                        }
                    },
                }
            )
        image = rng.choice(
            ["ghcr.io/acme/api-go:1.4", "ghcr.io/acme/orders-go:2.11.0", "ghcr.io/acme/gateway:0.9.3"]
        )
        spec = make_container(
            name, image, requests=req, limits=lim, env=env, ports=[8080], probes=True, args=["--listen=:8080"]
        )
    elif runtime == "jvm":
        mem = rng.choice(["1Gi", "2Gi", "3Gi"])
        req, lim = (
            _res(mem, mem, "1", "1") if qos_roll < 0.5 else _res(f"{memory_bytes(mem) // Mi // 2}Mi", mem)
        )
        env = []
        if r < 0.45:
            env.append(
                {"name": "JAVA_TOOL_OPTIONS", "value": "-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"}
            )
        elif r < 0.7:
            env.append({"name": "JAVA_TOOL_OPTIONS", "value": f"-Xmx{memory_bytes(mem) * 8 // 10 // Mi}m"})
        image = rng.choice(
            ["eclipse-temurin:21-jre", "ghcr.io/acme/billing-jvm:5.2.1", "eclipse-temurin:17-jre-jammy"]
        )
        spec = make_container(
            name,
            image,
            requests=req,
            limits=lim,
            env=env,
            ports=[8080, 8081],
            probes=True,
            command=["java"],
            args=["-jar", "/app/app.jar"],
        )
    elif runtime == "node":
        mem = rng.choice(["384Mi", "512Mi", "768Mi"])
        req, lim = _res("256Mi", mem) if qos_roll < 0.75 else _res("256Mi", None)
        env = [{"name": "NODE_ENV", "value": "production"}]
        if r < 0.5:
            env.append(
                {"name": "NODE_OPTIONS", "value": f"--max-old-space-size={memory_bytes(mem) * 3 // 4 // Mi}"}
            )
        spec = make_container(
            name,
            rng.choice(["node:20", "node:22-alpine", "ghcr.io/acme/web-frontend:3.8.2"]),
            requests=req,
            limits=lim,
            env=env,
            ports=[3000],
            probes=True,
            command=["node"],
            args=["server.js"],
        )
    elif runtime == "python":
        if qos_roll < 0.15:
            req, lim = None, None  # BestEffort
        elif qos_roll < 0.6:
            req, lim = _res("256Mi", "512Mi")
        else:
            req, lim = _res("512Mi", None, "200m")
        spec = make_container(
            name,
            rng.choice(["python:3.12-slim", "ghcr.io/acme/ml-scorer:1.0.7"]),
            requests=req,
            limits=lim,
            env={"WEB_CONCURRENCY": str(rng.choice([2, 4]))},
            ports=[8000],
            command=["gunicorn"],
            args=["app:app", "--bind=0.0.0.0:8000"],
        )
    else:  # nginx / static
        req, lim = _res("64Mi", "128Mi", "50m", "200m") if qos_roll < 0.8 else _res(None, None, None)
        spec = make_container(name, "nginx:1.27", requests=req, limits=lim, ports=[80])
    return _Plan(spec, _usage_profile(rng, req, lim, 96 * Mi))


def _sidecar(rng: random.Random, kind: str) -> _Plan:
    if kind == "envoy":
        spec = make_container(
            "envoy",
            "envoyproxy/envoy:v1.31.2",
            requests={"cpu": "50m", "memory": "64Mi"},
            limits={"memory": "128Mi"},
            restart_policy="Always",
            ports=[15001],
        )
        return _Plan(spec, _ws_rel(128 * Mi, 0.35, 0.7))
    spec = make_container(
        "log-shipper",
        "fluent/fluent-bit:3.1.9",
        requests={"cpu": "20m", "memory": "32Mi"},
        limits={"memory": "64Mi"},
        restart_policy="Always",
    )
    return _Plan(spec, _ws_rel(64 * Mi, 0.3, 0.8))


def _migrations() -> _Plan:
    spec = make_container(
        "migrate",
        "busybox:1.36",
        requests={"cpu": "10m", "memory": "16Mi"},
        limits={"memory": "32Mi"},
        command=["sh", "-c", "echo migrated"],
    )
    return _Plan(spec, lambda rng: 0)


def _statefulset(rng: random.Random, ns: str, i: int) -> _Workload:
    if rng.random() < 0.5:
        spec = make_container(
            "redis",
            "redis:7.4",
            requests={"cpu": "250m", "memory": "1Gi"},
            limits={"cpu": "250m", "memory": "1Gi"},
            ports=[6379],
            args=["--maxmemory", "800mb", "--maxmemory-policy", "allkeys-lru"],
        )
        name, plan = f"redis-{i}", _Plan(spec, _ws_rel(Gi, 0.55, 0.97))
    else:
        spec = make_container(
            "postgres",
            "postgres:16.4",
            requests={"cpu": "500m", "memory": "2Gi"},
            limits={"memory": "4Gi"},
            ports=[5432],
            env={"PGDATA": "/var/lib/postgresql/data"},
        )
        name, plan = f"pg-{i}", _Plan(spec, _ws_rel(2 * Gi, 0.6, 1.6))
    vols = [{"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "256Mi"}}]
    spec["volumeMounts"] = [{"name": "dshm", "mountPath": "/dev/shm"}]
    return _Workload(
        "StatefulSet",
        name,
        ns,
        [plan],
        replicas=rng.choice([1, 3, 3]),
        priority_class="high-priority",
        volumes=vols,
    )


def _job(rng: random.Random, ns: str, i: int) -> _Workload:
    spec = make_container(
        "report",
        "ghcr.io/acme/report-job:2.0",
        requests={"cpu": "500m", "memory": "1Gi"},
        limits={"memory": "2Gi"},
        env={"PYTHONUNBUFFERED": "1"},
        command=["python", "-m", "report"],
    )
    return _Workload(
        "Job",
        f"nightly-report-{29000000 + i}",
        ns,
        [_Plan(spec, _ws_rel(Gi, 0.5, 1.8))],
        replicas=1,
        priority_class="low-priority",
    )


class _Gen:
    def __init__(self, seed: int, n_nodes: int, n_pods: int, now: datetime) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.n_nodes = max(n_nodes, 1)
        self.n_pods = max(n_pods, 0)
        self.now = now
        self.cluster = Cluster(now=now)
        self.pods: list[Obj] = []
        self.usage: dict[tuple[str, str], dict[str, int]] = {}
        self.no_metrics: set[tuple[str, str]] = set()
        self.events: list[Obj] = []
        self.node_ws: dict[str, int] = {}
        self.controllers: list[tuple[str, Obj]] = []  # (resource, object): the pods' owners
        self.reserved = 0  # pods kept for the workload showcases while the app pods are made

    # -- helpers ------------------------------------------------------------------------------
    def uid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[self.rng.getrandbits(2)]}{h[17:20]}-{h[20:32]}"

    def room(self) -> int:
        return self.n_pods - self.reserved - len(self.pods)

    def add(self, pod: Obj, ws: dict[str, int] | None, *, metrics: bool = True) -> None:
        if self.room() <= 0:
            return
        self.pods.append(pod)
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        if ws is not None:
            self.usage[key] = ws
            if not metrics:
                self.no_metrics.add(key)

    # -- the cluster ----------------------------------------------------------------------------
    def build(self) -> Cluster:
        big = self.n_pods >= 2000
        team_ns = [f"team-{c}" for c in ("payments", "search", "checkout", "identity", "catalog", "ads")]
        if big:
            team_ns += [f"team-{i:02d}" for i in range(max(self.n_pods // 600, 1))]
        self.namespaces = ["default", "kube-system", "monitoring", "ingress-nginx", "batch", *team_ns]
        worker_count = self.n_nodes - 1 if self.n_nodes >= 3 else self.n_nodes
        self.cp = "cp-1" if self.n_nodes >= 3 else None
        self.workers = [
            f"node-{i + 1:03d}" if self.n_nodes >= 100 else f"node-{i + 1}" for i in range(worker_count)
        ]
        self.node_pods: dict[str, list[Obj]] = {n: [] for n in ([self.cp] if self.cp else []) + self.workers}
        self._system_pods()
        reserve = _showcase_pods(len(self.workers))
        # the app pods' stories come first: the workload showcases only where they all still fit
        self.reserved = reserve if self.room() - reserve >= _APP_STORY_PODS else 0
        self._app_pods(team_ns)
        if self.reserved:
            self.reserved = 0
            self._workload_showcases()
        self._place_and_finish()
        return self.cluster

    def _system_pods(self) -> None:
        rng = self.rng
        created = self.now - timedelta(days=12)
        if self.cp:
            for comp, mem, img in (
                ("etcd", "100Mi", "registry.k8s.io/etcd:3.5.16-0"),
                ("kube-apiserver", None, "registry.k8s.io/kube-apiserver:v1.32.4"),
                ("kube-controller-manager", None, "registry.k8s.io/kube-controller-manager:v1.32.4"),
                ("kube-scheduler", None, "registry.k8s.io/kube-scheduler:v1.32.4"),
            ):
                cfg_hash = f"{rng.getrandbits(128):032x}"
                spec = make_container(
                    comp, img, requests={"cpu": "100m", **({"memory": mem} if mem else {})}, command=[comp]
                )
                pod = make_pod(
                    f"{comp}-{self.cp}",
                    "kube-system",
                    self.cp,
                    [spec],
                    owner=("Node", self.cp),
                    priority_class_name="system-node-critical",
                    created=created,
                    now=self.now,
                    uid=self.uid(),
                    labels={"component": comp, "tier": "control-plane"},
                    annotations={
                        "kubernetes.io/config.hash": cfg_hash,
                        "kubernetes.io/config.mirror": cfg_hash,
                        "kubernetes.io/config.seen": created.strftime("%Y-%m-%dT%H:%M:%S.123456789Z"),
                        "kubernetes.io/config.source": "file",
                    },
                    tolerations=[{"operator": "Exists", "effect": "NoExecute"}],
                    with_managed_fields=True,
                    service_account=None,  # a mirror pod may not reference one
                )
                pod["spec"]["hostNetwork"] = True
                self.add(pod, {comp: int(rng.uniform(90, 900) * Mi)})
        ds_defs = [
            (
                "kube-proxy",
                "kube-system",
                make_container("kube-proxy", "registry.k8s.io/kube-proxy:v1.32.4", requests={"cpu": "100m"}),
                "system-node-critical",
                _ws_rel(40 * Mi, 0.6, 1.2),
            ),
            (
                "node-exporter",
                "monitoring",
                make_container(
                    "node-exporter",
                    "quay.io/prometheus/node-exporter:v1.8.2",
                    requests={"cpu": "50m", "memory": "32Mi"},
                    limits={"memory": "64Mi"},
                    ports=[9100],
                ),
                "system-node-critical",
                _ws_rel(64 * Mi, 0.3, 0.6),
            ),
            (
                "fluent-bit",
                "kube-system",
                make_container(
                    "fluent-bit",
                    "fluent/fluent-bit:3.1.9",
                    requests={"cpu": "50m", "memory": "64Mi"},
                    limits={"memory": "256Mi"},
                ),
                "system-node-critical",
                _ws_rel(256 * Mi, 0.2, 0.96),
            ),
        ]
        ds_tolerations = [{"operator": "Exists"}]
        for ds, ns, spec, pc, ws in ds_defs:
            rev = _suffix(rng, 10)
            shared_mf: list[Obj] | None = None
            before = len(self.pods)
            for node in self.workers:
                name = f"{ds}-{_suffix(rng, 5)}"
                pod = make_pod(
                    name,
                    ns,
                    node,
                    [spec],
                    owner=("DaemonSet", ds),
                    priority_class_name=pc,
                    priority=_PRIORITY[pc],
                    created=self.now - timedelta(days=11),
                    now=self.now,
                    uid=self.uid(),
                    labels={
                        "app.kubernetes.io/name": ds,
                        "controller-revision-hash": rev,
                        "pod-template-generation": "3",
                    },
                    tolerations=ds_tolerations,
                    with_managed_fields=shared_mf or True,
                )
                shared_mf = pod["metadata"]["managedFields"]
                self.add(pod, {spec["name"]: ws(rng)})
                self.node_pods[node].append(pod)
            made = len(self.pods) - before
            self.controllers.append(
                (
                    "daemonsets.apps",
                    make_daemonset(
                        ds,
                        ns,
                        [spec],
                        desired=len(self.workers),
                        ready=made,
                        created=self.now - timedelta(days=11),
                        labels={"app.kubernetes.io/name": ds},
                        priority_class_name=pc,
                        tolerations=ds_tolerations,
                    ),
                )
            )
        for dep, img, mem in (
            ("coredns", "registry.k8s.io/coredns/coredns:v1.11.3", "170Mi"),
            ("metrics-server", "registry.k8s.io/metrics-server/metrics-server:v0.7.2", "200Mi"),
        ):
            spec = make_container(
                dep, img, requests={"cpu": "100m", "memory": "70Mi"}, limits={"memory": mem}, ports=[8080]
            )
            w = _Workload(
                "Deployment",
                dep,
                "kube-system",
                [_Plan(spec, _ws_rel(memory_bytes(mem), 0.2, 0.5))],
                replicas=2 if dep == "coredns" else 1,
                priority_class="system-cluster-critical",
                labels={"k8s-app": dep},
            )
            self._emit(w)

    def _app_pods(self, team_ns: list[str]) -> None:
        rng = self.rng
        i = 0
        special = 0
        while self.room() > 0:
            i += 1
            roll = rng.random()
            ns = rng.choice(team_ns)
            showcase = special < len(_SHOWCASE)
            if showcase:
                ns = DEMO_NAMESPACE
            if roll < 0.07 and not showcase:
                w = _statefulset(rng, rng.choice([ns, "default"]), i)
            elif roll < 0.12 and not showcase:
                w = _job(rng, "batch", i)
            else:
                runtime, rolls = (
                    _SHOWCASE[special]
                    if showcase
                    else (
                        rng.choices(["go", "jvm", "node", "python", "nginx"], [30, 22, 18, 18, 12])[0],
                        None,
                    )
                )
                name = {"go": "api", "jvm": "billing", "node": "web", "python": "scorer", "nginx": "static"}[
                    runtime
                ]
                w = _Workload(
                    "Deployment",
                    f"{name}-{i}",
                    ns if runtime != "nginx" or i % 3 or showcase else "ingress-nginx",
                    [_app_container(rng, runtime, "app" if runtime != "go" else "api", rolls)],
                )
                w.replicas = rng.choice([1, 2, 2, 3, 3, 4, 6]) * (
                    rng.choice([1, 1, 1, 4]) if self.n_pods > 1000 else 1
                )
                extras = [rng.random() for _ in range(4)]
                if showcase:  # extras only where the story wants them: QoS must stay as designed
                    extras = (
                        [0.0, 0.0, 1.0, 1.0]
                        if special == 3
                        else [1.0, 1.0, 1.0, 0.0 if special == 0 else 1.0]
                    )
                if extras[0] < 0.2:
                    w.init.append(_sidecar(rng, "envoy"))
                if extras[1] < 0.15:
                    w.init.insert(0, _migrations())
                if extras[2] < 0.12:
                    w.containers.append(_sidecar(rng, "fluent"))
                    w.containers[-1].spec.pop("restartPolicy", None)
                if extras[3] < 0.1:
                    w.volumes.append(
                        {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "128Mi"}}
                    )
                    w.containers[0].spec.setdefault("volumeMounts", []).insert(
                        0, {"name": "cache", "mountPath": "/cache"}
                    )
                w.priority_class = rng.choices([None, "high-priority", "low-priority"], [80, 12, 8])[0]
                w.annotations = (
                    {"prometheus.io/scrape": "true", "prometheus.io/port": "8080"} if i % 2 else {}
                )
            self._emit(w, special=special)
            special += 1

    def _emit(self, w: _Workload, special: int = -1, story: float | None = None) -> list[Obj]:
        """Create the pods of one workload and its owner objects; `special` numbers the first
        workloads that get a feature; `story` pins every replica's story roll (0.5: plain running)."""
        rng, now = self.rng, self.now
        created = now - timedelta(hours=rng.randint(2, 24 * 30))
        w_created = created
        made: list[Obj] = []
        pc = w.priority_class or "default-priority"
        rs_hash = _suffix(rng, 10) if w.kind == "Deployment" else _suffix(rng, 10)
        owner_name = {"Deployment": f"{w.name}-{rs_hash}", "StatefulSet": w.name, "Job": w.name}.get(
            w.kind, w.name
        )
        owner_kind = {"Deployment": "ReplicaSet"}.get(w.kind, w.kind)
        shared_mf: list[Obj] | None = None
        for r in range(w.replicas):
            if self.room() <= 0:
                break
            if w.kind == "StatefulSet":
                name = f"{w.name}-{r}"
                labels = {
                    "app": w.name,
                    "apps.kubernetes.io/pod-index": str(r),
                    "controller-revision-hash": f"{w.name}-{rs_hash[:8]}",
                    "statefulset.kubernetes.io/pod-name": name,
                }
            elif w.kind == "Job":
                name = f"{w.name}-{_suffix(rng, 5)}"
                ctrl = self.uid()
                labels = {
                    "batch.kubernetes.io/controller-uid": ctrl,
                    "batch.kubernetes.io/job-name": w.name,
                    "controller-uid": ctrl,
                    "job-name": w.name,
                }
            else:
                name = f"{w.name}-{rs_hash}-{_suffix(rng, 5)}"
                labels = {"app": w.name, "pod-template-hash": rs_hash}
            labels.update(w.labels)
            containers = [p.spec for p in w.containers]
            inits = [p.spec for p in w.init]
            all_plans = w.init + w.containers
            restarts: dict[str, int] = {}
            last_state: dict[str, Obj] = {}
            waiting: dict[str, str] = {}
            phase, reason, message = "Running", None, None
            node: str | None = "?"
            pod_created = created
            started = created + timedelta(seconds=rng.randint(3, 40))
            qos: str | None = "auto"
            feature = special if r == 0 else -1
            kind_roll = rng.random()
            if story is not None:
                kind_roll = story
            main = w.containers[0].spec["name"]
            has_limit = "memory" in w.containers[0].spec.get("resources", {}).get("limits", {})
            if feature >= 0:
                # The first workloads tell one story each, so even the smallest cluster has them all.
                kind_roll = {0: 0.03, 5: 0.005, 9: 0.03, 1: 0.05, 6: 0.05, 2: 0.06, 3: 0.07, 4: 0.078}.get(
                    feature, 0.5
                )
                has_limit = has_limit or feature in (0, 5, 9)
            if w.kind == "Job":
                phase = "Succeeded" if kind_roll < 0.7 else "Running"
            elif kind_roll < 0.04 and has_limit:
                # OOMKilled by its own cgroup limit, restarted since (the running instance started
                # when the back-off after that kill ran out), or crash-looping: killed again and
                # waiting out a back-off of at most 5 minutes, so the kill is that recent.
                restarts[main] = rng.randint(1, 14)
                ago = timedelta(minutes=rng.randint(2, 600))
                if kind_roll < 0.008:
                    waiting[main] = "CrashLoopBackOff"
                    wait = crash_backoff(restarts[main] + 1).total_seconds()
                    ago = timedelta(seconds=1 + ago.total_seconds() % max(wait - 1, 1))
                # the killed instance ran after the pod started: 7 minutes, or what the pod's age allows
                ago = min(ago, (now - started) / 2)
                ran = min(timedelta(minutes=7), (now - started) / 4)
                last_state[main] = oom_killed(
                    now - ago,
                    started=now - ago - ran,
                    container_id=f"containerd://{rng.getrandbits(256):064x}",
                )
            elif kind_roll < 0.055:
                phase, reason = "Failed", "Evicted"
                node = "pressure"
            elif kind_roll < 0.065:
                phase, node = "Pending", None
            elif kind_roll < 0.075:
                started = now - timedelta(seconds=rng.randint(3, 25))
                pod_created = started - timedelta(seconds=2)  # this replica only, not the next ones
            elif kind_roll < 0.08:
                pass  # a plain pod; the rolls above and below keep their share of the random stream
            elif kind_roll < 0.1:
                restarts[main] = rng.randint(1, 3)
                age = now - started  # the failed instance ran within the pod's life
                last_state[main] = {
                    "terminated": {
                        "exitCode": rng.choice([1, 2, 143]),
                        "reason": "Error",
                        "startedAt": (started + age / 4).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "finishedAt": (started + age / 2).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    }
                }
            pod = make_pod(
                name,
                w.namespace,
                None if node is None else "placeholder",
                containers,
                init_containers=inits,
                phase=phase,
                labels=labels,
                annotations=w.annotations or None,
                owner=(owner_kind, owner_name),
                priority_class_name=pc,
                priority=_PRIORITY[pc],
                preemption_policy="Never" if pc == "low-priority" else "PreemptLowerPriority",
                qos=qos,
                restarts=restarts,
                last_state=last_state,
                waiting=waiting,
                created=pod_created,
                started=started,
                now=now,
                uid=self.uid(),
                volumes=w.volumes,
                reason=reason,
                message=message,
                with_managed_fields=shared_mf or True,
            )
            shared_mf = pod["metadata"]["managedFields"]
            ws: dict[str, int] | None = None
            metrics = True
            if phase == "Running":
                ws = {}
                for p in all_plans:
                    if p.spec.get("restartPolicy") == "Always" or p in w.containers:
                        level = max(p.ws(rng), 2 * Mi)
                        if p.spec["name"] not in waiting:  # a container waiting to restart uses nothing
                            ws[p.spec["name"]] = level
                if waiting or started > now - timedelta(seconds=30):
                    metrics = False
            elif reason == "Evicted":
                pod["_evict"] = max(w.containers[0].ws(rng), 64 * Mi)
            if self.room() > 0:
                made.append(pod)
            self.add(pod, ws, metrics=metrics)
        self._owners(w, made, rs_hash, w_created)
        return made

    def _owners(self, w: _Workload, pods: list[Obj], rs_hash: str, created: datetime) -> None:
        """The Deployment and its ReplicaSet, the StatefulSet or the Job that made `pods`, with their
        status as the controllers would write it (no draw from the generator's random stream)."""
        ready = sum(
            1
            for p in pods
            if p["status"]["phase"] == "Running"
            and all(cs.get("ready") for cs in p["status"].get("containerStatuses", []))
        )
        template = {
            "init_containers": [p.spec for p in w.init],
            "volumes": w.volumes,
            "priority_class_name": w.priority_class,
        }
        containers = [p.spec for p in w.containers]
        if w.kind == "Deployment":
            dep = make_deployment(
                w.name,
                w.namespace,
                containers,
                replicas=w.replicas,
                ready=ready,
                template_hash=rs_hash,
                created=created,
                labels={"app": w.name, **w.labels},
                **template,
            )
            self.controllers.append(("deployments.apps", dep))
            self.controllers.append(("replicasets.apps", make_replicaset(dep, rs_hash, ready=ready)))
        elif w.kind == "StatefulSet":
            sts = make_statefulset(
                w.name,
                w.namespace,
                containers,
                replicas=w.replicas,
                ready=ready,
                revision=f"{w.name}-{rs_hash[:8]}",
                created=created,
                labels={"app": w.name, **w.labels},
                **template,
            )
            self.controllers.append(("statefulsets.apps", sts))
        elif w.kind == "Job" and pods:
            phase = pods[0]["status"]["phase"]
            self.controllers.append(
                (
                    "jobs.batch",
                    make_job(
                        w.name,
                        w.namespace,
                        containers,
                        created=created,
                        active=int(phase == "Running"),
                        succeeded=int(phase == "Succeeded"),
                        finished=created + timedelta(minutes=2),
                        **template,
                    ),
                )
            )

    def _workload_showcases(self) -> None:
        """What `kubectl mem workloads` is for: Deployments requesting far more than they use, a
        workload without limits, a DaemonSet whose pods' memory grows with the number of
        namespaces (paid on every node), and a CronJob whose runs are OOM-killed."""
        rng, now = self.rng, self.now
        # over-requested: a few hundred Mi used of Gi requested, on every replica
        for name, ns, image, mem, used, replicas in (
            ("recommender", DEMO_NAMESPACE, "ghcr.io/acme/recommender:2.3.1", "2Gi", 300 * Mi, 2),
            ("pdf-render", DEMO_NAMESPACE, "ghcr.io/acme/pdf-render:1.12.0", "1Gi", 120 * Mi, 1),
        ):
            spec = make_container(
                "app",
                image,
                requests={"cpu": "250m", "memory": mem},
                limits={"memory": mem},
                env={"WORKERS": "4"},
                ports=[8080],
                probes=True,
            )
            w = _Workload("Deployment", name, ns, [_Plan(spec, _ws_rel(used, 0.9, 1.12))], replicas=replicas)
            self._emit(w, story=0.5)
        # no limit: its memory is bounded only by the node's
        spec = make_container(
            "indexer",
            "ghcr.io/acme/search-indexer:7.0.4",
            requests={"cpu": "500m", "memory": "512Mi"},
            ports=[9200],
            command=["indexer"],
            args=["--shards=8"],
        )
        w = _Workload(
            "Deployment", "search-indexer", DEMO_NAMESPACE, [_Plan(spec, _ws_rel(512 * Mi, 1.3, 1.6))]
        )
        self._emit(w, story=0.5)
        self._policy_agent()
        self._nightly_export(rng, now)

    def _policy_agent(self) -> None:
        """A DaemonSet that caches every namespace's policies: each pod's memory grows with the number of
        namespaces, far past its request, and every node pays it."""
        rng = self.rng
        spec = make_container(
            "agent",
            "ghcr.io/acme/policy-agent:1.9.0",
            requests={"cpu": "50m", "memory": "64Mi"},
            ports=[9090],
            args=["--watch-namespaces=*"],
        )
        per_pod = (24 + 5 * len(self.namespaces)) * Mi
        tolerations = [{"operator": "Exists"}]
        created = self.now - timedelta(days=9)
        before = len(self.pods)
        shared_mf: list[Obj] | bool = True
        for node in self.workers:
            pod = make_pod(
                f"policy-agent-{_suffix(rng, 5)}",
                "kube-system",
                node,
                [spec],
                owner=("DaemonSet", "policy-agent"),
                priority_class_name="system-node-critical",
                priority=_PRIORITY["system-node-critical"],
                created=created,
                now=self.now,
                uid=self.uid(),
                labels={"app.kubernetes.io/name": "policy-agent", "pod-template-generation": "1"},
                tolerations=tolerations,
                with_managed_fields=shared_mf,
            )
            shared_mf = pod["metadata"]["managedFields"]
            if self.room() <= 0:
                break
            self.add(pod, {"agent": int(per_pod * rng.uniform(0.97, 1.03))})
            self.node_pods[node].append(pod)
        self.controllers.append(
            (
                "daemonsets.apps",
                make_daemonset(
                    "policy-agent",
                    "kube-system",
                    [spec],
                    desired=len(self.workers),
                    ready=len(self.pods) - before,
                    created=created,
                    generation=1,
                    labels={"app.kubernetes.io/name": "policy-agent"},
                    priority_class_name="system-node-critical",
                    tolerations=tolerations,
                ),
            )
        )

    def _nightly_export(self, rng: random.Random, now: datetime) -> None:
        """A CronJob every 20 minutes whose last finished run was OOM-killed on each of its 3 attempts
        (restartPolicy Never: one pod per attempt, kept with the failed Job), and a run going now."""
        spec = make_container(
            "export",
            "ghcr.io/acme/exporter:4.1.0",
            requests={"cpu": "250m", "memory": "256Mi"},
            limits={"memory": "512Mi"},
            env={"PYTHONUNBUFFERED": "1"},
            command=["python", "-m", "exporter"],
        )
        ns, cron = DEMO_NAMESPACE, "nightly-export"  # the demo's namespace: `workloads --demo` shows it
        slot = int(now.timestamp()) // 1200 * 1200  # the schedule's latest tick: */20
        failed_at = datetime.fromtimestamp(slot - 1200, UTC)
        running_at = datetime.fromtimestamp(slot, UTC)
        if running_at >= now - timedelta(minutes=1):  # too young for metrics: take the tick before
            failed_at, running_at = failed_at - timedelta(minutes=20), running_at - timedelta(minutes=20)
        failed_job = f"{cron}-{int(failed_at.timestamp()) // 60}"
        running_job = f"{cron}-{int(running_at.timestamp()) // 60}"
        attempts = 3
        for job, start, n in ((failed_job, failed_at, attempts), (running_job, running_at, 1)):
            for k in range(n):
                started = start + timedelta(seconds=5 + 150 * k)
                phase = "Failed" if job == failed_job else "Running"
                labels = {
                    "batch.kubernetes.io/controller-uid": _uuid_of(ns, "Job", job),
                    "batch.kubernetes.io/job-name": job,
                    "controller-uid": _uuid_of(ns, "Job", job),
                    "job-name": job,
                }
                pod = make_pod(
                    f"{job}-{_suffix(rng, 5)}",
                    ns,
                    "placeholder",
                    [spec],
                    phase=phase,
                    labels=labels,
                    owner=("Job", job),
                    priority_class_name="low-priority",
                    priority=_PRIORITY["low-priority"],
                    created=started - timedelta(seconds=2),
                    started=started,
                    now=now,
                    uid=self.uid(),
                )
                pod["spec"]["restartPolicy"] = "Never"
                if phase == "Failed":
                    term = pod["status"]["containerStatuses"][0]["state"]["terminated"]
                    term["reason"] = "OOMKilled"
                    term["finishedAt"] = (started + timedelta(seconds=140)).strftime("%Y-%m-%dT%H:%M:%SZ")
                    self.add(pod, None)
                else:
                    self.add(pod, {"export": int(512 * Mi * rng.uniform(0.86, 0.93))})
        self.controllers.append(
            (
                "jobs.batch",
                make_job(
                    failed_job,
                    ns,
                    [spec],
                    created=failed_at,
                    cronjob=cron,
                    failed=attempts,
                    backoff_limit=attempts - 1,
                    finished=failed_at + timedelta(minutes=8),
                ),
            )
        )
        self.controllers.append(
            ("jobs.batch", make_job(running_job, ns, [spec], created=running_at, cronjob=cron, active=1))
        )
        self.controllers.append(
            (
                "cronjobs.batch",
                make_cronjob(
                    cron,
                    ns,
                    [spec],
                    schedule="*/20 * * * *",
                    created=now - timedelta(days=30),
                    last_schedule=running_at,
                    active=[running_job],
                    priority_class_name="low-priority",
                ),
            )
        )

    def _place_and_finish(self) -> None:
        rng, now, c = self.rng, self.now, self.cluster
        for pc, value in _PRIORITY.items():
            c.add_priority_class(
                make_priority_class(
                    pc,
                    value,
                    global_default=pc == "default-priority",
                    description={
                        "system-cluster-critical": "Used for system critical pods that must run in the "
                        "cluster, but can be moved to another node if necessary.",
                        "system-node-critical": "Used for system critical pods that must not be moved from "
                        "their current node.",
                    }.get(pc, ""),
                    preemption_policy="Never" if pc == "low-priority" else "PreemptLowerPriority",
                    created=now - timedelta(days=12),
                )
            )
        c.put_many(
            "namespaces", [make_namespace(n, created=now - timedelta(days=12)) for n in self.namespaces]
        )
        # Node roles: one under MemoryPressure, ~10% close to the hard threshold, the rest comfortable.
        workers = self.workers
        pressure = workers[len(workers) // 2] if len(workers) >= 2 else None
        hot = {w for k, w in enumerate(workers) if k % 10 == 3 and w != pressure}
        for pod in self.pods:
            spec = pod["spec"]
            if spec.get("nodeName") == "placeholder":
                if pod.pop("_evict", None) is not None and pressure:
                    spec["nodeName"] = pressure
                else:
                    spec["nodeName"] = workers[rng.randrange(len(workers))]
                ip = node_ip(spec["nodeName"])
                pod["status"]["hostIP"] = ip
                pod["status"]["hostIPs"] = [{"ip": ip}]
                self.node_pods[spec["nodeName"]].append(pod)
            elif self.cp is not None and spec.get("nodeName") == self.cp:
                self.node_pods[self.cp].append(pod)
        nodes: list[Obj] = []
        events: list[Obj] = []
        for name, pods in self.node_pods.items():
            running = [p for p in pods if p["status"]["phase"] == "Running"]
            ws_sum = sum(
                sum(self.usage.get((p["metadata"]["namespace"], p["metadata"]["name"]), {}).values())
                + 512 * 1024
                for p in running
            )
            req_sum = sum(_mem_requests(p) for p in running)
            need = max(req_sum / 0.8, (ws_sum + 1200 * Mi) / 0.75, 4 * Gi)
            size = next((s for s in _SIZES_GI if s * Gi * 0.88 >= need), _SIZES_GI[-1])
            cap = size * Gi - rng.randint(200, 600) * Mi  # MemTotal is a little under the nominal size
            system = rng.randint(700, 1400) * Mi
            if name == pressure:
                node_ws = cap - 100 * Mi + rng.randint(8, 60) * Mi
            elif name in hot:
                node_ws = cap - 100 * Mi - rng.randint(30, 400) * Mi
            else:
                node_ws = ws_sum + system
            node_ws = max(node_ws, ws_sum + 300 * Mi)
            node = make_node(
                name,
                memory=cap,
                cpu=str(max(size // 4, 2)),
                memory_pressure=name == pressure,
                control_plane=name == self.cp,
                created=now - timedelta(days=12),
                now=now,
                instance_type=f"e2-standard-{max(size // 4, 2)}",
                zone=f"europe-west1-{'bcd'[len(nodes) % 3]}",
                pods=max(110, len(pods) + 10),
            )
            nodes.append(node)
            self.node_ws[name] = node_ws
            for p in pods:
                if p["status"].get("reason") == "Evicted":
                    cname = p["spec"]["containers"][0]["name"]
                    usage = (
                        memory_bytes(
                            p["spec"]["containers"][0]["resources"].get("requests", {}).get("memory", "64Mi")
                        )
                        * 3
                    )
                    req = p["spec"]["containers"][0]["resources"].get("requests", {}).get("memory", "0")
                    msg = eviction_message(cname, usage, req, rng.randint(60, 99) * Mi)
                    st = p["status"]
                    st["message"] = msg
                    for cond in st["conditions"]:
                        if cond["type"] == "DisruptionTarget":
                            cond["message"] = msg
                    evicted_at = now - timedelta(minutes=rng.randint(3, 50))
                    events.append(
                        make_event(
                            p,
                            "Evicted",
                            msg,
                            first=evicted_at,
                            last=evicted_at,
                            host=name,
                            annotations={
                                "offending_containers": cname,
                                "offending_containers_usage": f"{usage // 1024}Ki",
                                "starved_resource": "memory",
                            },
                        )
                    )
                    p["metadata"]["managedFields"] = _evicted_mf(p)
            if name == pressure:
                events.append(
                    make_event(
                        node,
                        "EvictionThresholdMet",
                        "Attempting to reclaim memory",
                        type="Warning",
                        count=rng.randint(3, 9),
                        first=now - timedelta(minutes=55),
                        last=now - timedelta(minutes=3),
                        host=name,
                    )
                )
                events.append(
                    make_event(
                        node,
                        "NodeHasInsufficientMemory",
                        f"Node {name} status is now: NodeHasInsufficientMemory",
                        type="Normal",
                        first=now - timedelta(minutes=4),
                        last=now - timedelta(minutes=4),
                        host=name,
                    )
                )
        for p in self.pods:
            for cs in p["status"].get("containerStatuses", []):
                term = cs.get("lastState", {}).get("terminated", {})
                if term.get("reason") == "OOMKilled" and cs.get("state", {}).get("waiting"):
                    events.append(
                        make_event(
                            p,
                            "BackOff",
                            f"Back-off restarting failed container {cs['name']} in pod "
                            f"{p['metadata']['name']}_{p['metadata']['namespace']}({p['metadata']['uid']})",
                            count=cs["restartCount"] * 3,
                            first=max(now - timedelta(hours=2), _time(p["status"]["startTime"])),
                            last=now - timedelta(minutes=1),
                            host=p["spec"]["nodeName"],
                            field_path=f"spec.containers{{{cs['name']}}}",
                        )
                    )
        c.put_many("nodes", nodes)
        c.put_many("pods", self.pods)
        by_resource: dict[str, list[Obj]] = {}
        for resource, obj in self.controllers:
            by_resource.setdefault(resource, []).append(obj)
        for resource, objs in by_resource.items():
            c.put_many(resource, objs)
        c.put_many("events", events)
        c.set_pod_usage_many(
            [
                (
                    ns,
                    name,
                    {
                        k: ContainerUsage(
                            v,
                            cpu_nanocores=rng.randint(1, 150) * 1_000_000,
                            page_faults=v // 4096 * 3,
                            major_page_faults=rng.randint(0, 40),
                        )
                        for k, v in ws.items()
                    },
                    (ns, name) not in self.no_metrics,
                )
                for (ns, name), ws in self.usage.items()
            ]
        )
        for name, node_ws in self.node_ws.items():
            node = c.get("nodes", name)
            cores = int(node["status"]["capacity"]["cpu"]) if node else 2
            pods_cpu = sum(
                u.cpu_nanocores
                for p in self.node_pods[name]
                for u in (c.pod_usage(p["metadata"]["namespace"], p["metadata"]["name"]) or ({}, 0))[
                    0
                ].values()
            )
            cpu = min(pods_cpu + rng.randint(100, 400) * 1_000_000, cores * 900_000_000)
            c.set_node_usage(name, node_ws, cpu_nanocores=cpu)


def _time(rfc3339: str) -> datetime:
    return datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


_APP_STORY_PODS = 36  # room the first app workloads (_SHOWCASE) need for their stories


def _showcase_pods(workers: int) -> int:
    """Pods the workload showcases take: 2 + 1 + 1 Deployments, a DaemonSet pod per worker, 4 CronJob pods."""
    return 4 + workers + 4


def _uuid_of(namespace: str, kind: str, name: str) -> str:
    from .builders import _uuid

    return _uuid(f"{namespace}/{kind}/{name}")


def _mem_requests(pod: Obj) -> int:
    total = 0
    for ctr in pod["spec"]["containers"]:
        m = ctr.get("resources", {}).get("requests", {}).get("memory")
        total += memory_bytes(m) if m else 0
    return total


def _evicted_mf(pod: Obj) -> list[Obj]:
    from .builders import managed_fields

    return managed_fields(pod)


def generate(seed: int = 1, nodes: int = 6, pods: int = 60, *, now: datetime | None = None) -> Cluster:
    """A cluster of `nodes` nodes and exactly `pods` pods (when pods ≥ the system pods), reproducible from
    (seed, nodes, pods, now). `now` defaults to a fixed instant; pass the wall clock for a live demo."""
    # Millions of small dicts and no cycles: the cyclic GC would rescan the growing heap again and again
    # (it made 20k pods ~3x slower), so pause it while building.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _Gen(seed, nodes, pods, (now or DEFAULT_NOW).replace(microsecond=0)).build()
    finally:
        if was_enabled:
            gc.enable()


def demo_cluster(now: datetime | None = None) -> Cluster:
    """The small cluster `--demo` shows: 6 nodes, 74 pods (the pod stories, and the workload
    showcases of `kubectl mem workloads`), times relative to now."""
    return generate(seed=7, nodes=6, pods=DEMO_PODS, now=now or datetime.now(UTC))
