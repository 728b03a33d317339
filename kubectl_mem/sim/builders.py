"""Builders for realistic Kubernetes objects (plain dicts shaped like what the apiserver returns).

Tests use them to build exact situations; the scenario generator uses them for every object, so both
see the same shapes. Status fields are filled the way the kubelet fills them; QoS is set the way the
apiserver sets it, after applying its request-from-limit defaulting.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from kubectl_mem.model.quantity import cpu_millis, memory_bytes, parse_quantity

__all__ = [
    "BACKOFF_CAP",
    "SYSTEM_PRIORITY_CLASSES",
    "apply_defaults",
    "backoff_text",
    "compute_qos",
    "crash_backoff",
    "container_id",
    "eviction_message",
    "make_container",
    "make_event",
    "make_namespace",
    "make_node",
    "make_node_metrics",
    "make_pod",
    "make_pod_metrics",
    "make_priority_class",
    "managed_fields",
    "node_ip",
    "oom_kill_history",
    "oom_killed",
    "pod_cgroup_limit",
    "pod_memory_request",
]

Obj = dict[str, Any]
# The kubelet's crash-loop back-off: 10 s, doubled after each failure, at most 5 minutes
# (pkg/kubelet/kubelet.go: backOffPeriod, MaxContainerBackOff).
BACKOFF_INITIAL = timedelta(seconds=10)
BACKOFF_CAP = timedelta(minutes=5)
SYSTEM_PRIORITY_CLASSES = {"system-cluster-critical": 2000000000, "system-node-critical": 2000001000}


def fmt_ki(n: int) -> str:
    """metrics-server and the kubelet print memory in Ki; round up to whole Ki."""
    return f"{(n + 1023) // 1024}Ki"


def fmt_cpu_nanos(n: int) -> str:
    return f"{n}n"


def cpu_nanos(q: str) -> int:
    """Nanocores of a cpu quantity (metrics-server's unit); the model's parser is exact to the nano."""
    return int(parse_quantity(q) * 1_000_000_000)


_DEFAULT_TOLERATIONS = (
    {
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
    {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
)


def _ts(t: datetime) -> str:
    return _ts_epoch(int(t.timestamp()))


@lru_cache(maxsize=1 << 16)
def _ts_epoch(seconds: int) -> str:
    # strftime dominated generating 20k pods; timestamps repeat a lot, so memoise per second.
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _hex(seed: str, n: int = 64) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def container_id(pod_uid: str, container: str, restart: int = 0) -> str:
    return f"containerd://{_hex(f'{pod_uid}/{container}/{restart}')}"


def _image_id(image: str) -> str:
    repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    if "/" not in repo:
        repo = f"docker.io/library/{repo}"
    elif "." not in repo.split("/", 1)[0]:
        repo = f"docker.io/{repo}"
    return f"{repo}@sha256:{_hex(image)}"


def _full_image(image: str) -> str:
    name = image if ":" in image.rsplit("/", 1)[-1] else image + ":latest"
    first = name.split("/", 1)[0]
    if "/" not in name:
        return f"docker.io/library/{name}"
    if "." not in first and ":" not in first and first != "localhost":
        return f"docker.io/{name}"
    return name


# -- containers and pods -------------------------------------------------------------------------


def make_container(
    name: str,
    image: str = "registry.k8s.io/pause:3.10",
    *,
    requests: Mapping[str, str] | None = None,
    limits: Mapping[str, str] | None = None,
    env: Sequence[Obj] | Mapping[str, str] | None = None,
    args: Sequence[str] | None = None,
    command: Sequence[str] | None = None,
    ports: Sequence[int] = (),
    restart_policy: str | None = None,
    volume_mounts: Sequence[Obj] = (),
    probes: bool = False,
) -> Obj:
    """A container spec. `env` may be a plain {name: value} mapping or a list of EnvVar dicts."""
    c: Obj = {"name": name, "image": image}
    if command:
        c["command"] = list(command)
    if args:
        c["args"] = list(args)
    if ports:
        c["ports"] = [
            {"name": "http" if i == 0 else f"port-{p}", "containerPort": p, "protocol": "TCP"}
            for i, p in enumerate(ports)
        ]
    if env:
        c["env"] = (
            [{"name": k, "value": v} for k, v in env.items()] if isinstance(env, Mapping) else list(env)
        )
    res: Obj = {}
    if limits:
        res["limits"] = dict(limits)
    if requests:
        res["requests"] = dict(requests)
    c["resources"] = res
    if restart_policy:
        c["restartPolicy"] = restart_policy
    if volume_mounts:
        c["volumeMounts"] = list(volume_mounts)
    if probes and ports:
        c["livenessProbe"] = {
            "httpGet": {"path": "/healthz", "port": ports[0], "scheme": "HTTP"},
            "initialDelaySeconds": 10,
            "timeoutSeconds": 1,
            "periodSeconds": 10,
            "successThreshold": 1,
            "failureThreshold": 3,
        }
        c["readinessProbe"] = {
            "httpGet": {"path": "/ready", "port": ports[0], "scheme": "HTTP"},
            "timeoutSeconds": 1,
            "periodSeconds": 5,
            "successThreshold": 1,
            "failureThreshold": 3,
        }
    c["terminationMessagePath"] = "/dev/termination-log"
    c["terminationMessagePolicy"] = "File"
    c["imagePullPolicy"] = "Always" if image.endswith(":latest") or ":" not in image else "IfNotPresent"
    return c


def apply_defaults(containers: Iterable[Obj]) -> None:
    """SetDefaults_Pod: a limit without a request for the same resource becomes the request too."""
    for c in containers:
        res = c.setdefault("resources", {})
        limits = res.get("limits")
        if limits:
            req = res.setdefault("requests", {})
            for k, v in limits.items():
                req.setdefault(k, v)


def _positive(res: Mapping[str, str], key: str) -> int:
    v = res.get(key)
    if v is None:
        return 0
    return cpu_millis(v) if key == "cpu" else memory_bytes(v)


def compute_qos(pod: Obj) -> str:
    """ComputePodQOS (reference §1.2), including the pod-level resources branch."""
    spec = pod.get("spec", {})
    requests: dict[str, int] = {}
    limits: dict[str, int] = {}
    guaranteed = True
    pod_res = spec.get("resources") or {}
    if any(
        _positive(pod_res.get(part, {}), k) > 0 for part in ("requests", "limits") for k in ("cpu", "memory")
    ):
        for k in ("cpu", "memory"):
            if (v := _positive(pod_res.get("requests", {}), k)) > 0:
                requests[k] = v
        lim = pod_res.get("limits") or {}
        if lim:
            for k in ("cpu", "memory"):
                if (v := _positive(lim, k)) > 0:
                    limits[k] = v
            if not ("cpu" in limits and "memory" in limits):
                guaranteed = False
    else:
        for c in list(spec.get("containers", [])) + list(spec.get("initContainers", [])):
            res = c.get("resources") or {}
            has = set()
            for k in ("cpu", "memory"):
                if (v := _positive(res.get("requests") or {}, k)) > 0:
                    requests[k] = requests.get(k, 0) + v
                if (v := _positive(res.get("limits") or {}, k)) > 0:
                    limits[k] = limits.get(k, 0) + v
                    has.add(k)
            if len(has) < 2:
                guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed:
        for k, v in requests.items():
            if limits.get(k) != v:
                guaranteed = False
                break
    return "Guaranteed" if guaranteed and len(requests) == len(limits) else "Burstable"


def pod_memory_request(pod: Obj) -> int:
    """Bytes of the pod's memory request as eviction ranks it (KEP-753 aggregate, reference §2.3)."""
    spec = pod.get("spec", {})

    def req(c: Obj) -> int:
        return _positive((c.get("resources") or {}).get("requests") or {}, "memory")

    regular = sum(req(c) for c in spec.get("containers", []))
    total, sidecars, best = regular, 0, 0
    for c in spec.get("initContainers", []):
        if c.get("restartPolicy") == "Always":
            sidecars += req(c)
            total += req(c)
        else:
            best = max(best, req(c) + sidecars)
    return max(total, best)


def pod_cgroup_limit(pod: Obj) -> int | None:
    """The memory limit the kubelet writes on the pod's cgroup (ResourceConfigForPod, reference §5.3),
    None for none: Guaranteed and Burstable pods get the pod's aggregate limit, KEP-753's formula
    (regular containers plus sidecars, or an init container plus the sidecars started before it,
    whichever is larger), but a Burstable pod only when every container declares one; a pod-level
    limit replaces the aggregate; BestEffort pods get none. spec.overhead is added to a limit."""
    spec, status = pod.get("spec", {}), pod.get("status", {})

    def lim(c: Obj) -> int:
        return _positive((c.get("resources") or {}).get("limits") or {}, "memory")

    declared = True
    total = 0
    for c in spec.get("containers", []):
        declared = declared and lim(c) > 0
        total += lim(c)
    sidecars = init_max = 0
    for c in spec.get("initContainers", []):
        if c.get("restartPolicy") == "Always":
            total += lim(c)
            sidecars += lim(c)
            seen = sidecars
        else:
            seen = lim(c) + sidecars
        declared = declared and seen > 0  # the kubelet checks what each init container adds up to
        init_max = max(init_max, seen)
    limit = max(total, init_max)
    pod_level = _positive((spec.get("resources") or {}).get("limits") or {}, "memory")
    if pod_level > 0:
        limit, declared = pod_level, True
    qos = status.get("qosClass") or compute_qos(pod)
    if qos == "BestEffort" or (qos == "Burstable" and not declared) or limit <= 0:
        return None
    return limit + _positive(spec.get("overhead") or {}, "memory")


def crash_backoff(failures: int) -> timedelta:
    """How long the kubelet waits before restarting a container that failed `failures` times."""
    if failures <= 0:
        return timedelta(0)
    return min(BACKOFF_INITIAL * 2 ** min(failures - 1, 16), BACKOFF_CAP)


def backoff_text(d: timedelta) -> str:
    """A duration as Go prints it in the kubelet's message: 10s, 1m20s, 5m0s."""
    s = int(d.total_seconds())
    return f"{s // 60}m{s % 60}s" if s >= 60 else f"{s}s"


def oom_kill_history(pod: Obj) -> int:
    """OOM kills the pod's containers have suffered since the pod started, as far as the API tells:
    a container whose last termination was OOMKilled is taken to have been OOM-killed at each of
    its restarts, and one terminated by an OOM kill right now once more. (The API keeps only each
    container's last termination; on cgroup v2 the pod cgroup's memory.events counts them all.)"""
    st = pod.get("status", {})
    kills = 0
    for cs in (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or []):
        last = (cs.get("lastState") or {}).get("terminated") or {}
        if last.get("reason") == "OOMKilled":
            kills += max(cs.get("restartCount", 0), 1)
        if ((cs.get("state") or {}).get("terminated") or {}).get("reason") == "OOMKilled":
            kills += 1
    return kills


def oom_killed(
    finished: datetime, *, started: datetime | None = None, container_id: str = "", exit_code: int = 137
) -> Obj:
    """A lastState of a container the kernel OOM-killed inside its cgroup."""
    term: Obj = {
        "exitCode": exit_code,
        "reason": "OOMKilled",
        "startedAt": _ts(started or finished - timedelta(minutes=7)),
        "finishedAt": _ts(finished),
    }
    if container_id:
        term["containerID"] = container_id
    return {"terminated": term}


def eviction_message(
    container: str, usage_bytes: int, request: str, available_bytes: int, threshold: str = "100Mi"
) -> str:
    """The kubelet's eviction message, byte for byte (trailing space included)."""
    return (
        f"The node was low on resource: memory. Threshold quantity: {threshold}, available: "
        f"{fmt_ki(available_bytes)}. Container {container} was using {fmt_ki(usage_bytes)}, request is "
        f"{request}, has larger consumption of memory. "
    )


_IDENTITY_KEYS = (("uid",), ("containerPort", "protocol"), ("name",), ("type",), ("ip",), ("mountPath",))


def _fields(value: Any) -> Obj:
    """fieldsV1 of a value, as server-side apply tracks it (list items keyed by their identity)."""
    if isinstance(value, dict):
        return {"f:" + k: _fields(v) if isinstance(v, dict | list) else {} for k, v in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        first = value[0]
        for keys in _IDENTITY_KEYS:
            if all(k in first for k in keys):
                out: Obj = {}
                for item in value:
                    ident = ",".join(f'"{k}":{json.dumps(item.get(k))}' for k in keys)
                    sub = _fields(item)
                    sub["."] = {}
                    out["k:{" + ident + "}"] = sub
                return out
    return {}


def managed_fields(pod: Obj, *, manager: str = "kube-controller-manager") -> list[Obj]:
    """managedFields of a pod created by a controller and updated by the kubelet."""
    md, spec, status = pod["metadata"], pod.get("spec", {}), pod.get("status", {})
    created = md.get("creationTimestamp", "")
    meta_f: Obj = {}
    for k in ("generateName", "labels", "annotations", "ownerReferences"):
        if k in md:
            meta_f["f:" + k] = _fields(md[k]) | ({".": {}} if isinstance(md[k], dict | list) else {})
    spec_f = _fields({k: v for k, v in spec.items() if k not in ("nodeName",)})
    out = [
        {
            "manager": manager,
            "operation": "Update",
            "apiVersion": "v1",
            "time": created,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": meta_f, "f:spec": spec_f},
        }
    ]
    if status.get("phase") and spec.get("nodeName"):
        status_f = _fields({k: v for k, v in status.items() if k not in ("qosClass", "phase")})
        status_f["f:phase"] = {}
        out.append(
            {
                "manager": "kubelet",
                "operation": "Update",
                "apiVersion": "v1",
                "time": status.get("startTime", created),
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:status": status_f},
                "subresource": "status",
            }
        )
    return out


def _cond(kind: str, ok: bool, at: str, reason: str | None = None, message: str | None = None) -> Obj:
    c: Obj = {
        "type": kind,
        "status": "True" if ok else "False",
        "lastProbeTime": None,
        "lastTransitionTime": at,
    }
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def _owner(owner: tuple[str, str] | Obj | None, ns: str) -> list[Obj]:
    if owner is None:
        return []
    if isinstance(owner, dict):
        return [owner]
    kind, name = owner
    api = "batch/v1" if kind == "Job" else "v1" if kind == "Node" else "apps/v1"
    ref = {
        "apiVersion": api,
        "kind": kind,
        "name": name,
        "uid": _uuid(f"{ns}/{kind}/{name}"),
        "controller": True,
        "blockOwnerDeletion": True,
    }
    if kind == "Node":
        ref = {
            "apiVersion": "v1",
            "kind": "Node",
            "name": name,
            "uid": _uuid(f"node/{name}"),
            "controller": True,
        }
    return [ref]


def _uuid(seed: str) -> str:
    h = _hex(seed, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def node_ip(node: str) -> str:
    """The InternalIP make_node gives a node (also the hostIP of its pods)."""
    return _ip(f"node/{node}", "10.0")


def _ip(seed: str, prefix: str) -> str:
    h = int(_hex(seed, 6), 16)
    return f"{prefix}.{(h >> 8) % 250 + 1}.{h % 250 + 2}"


def make_pod(
    name: str,
    namespace: str = "default",
    node: str | None = "node-1",
    containers: Sequence[Obj] | None = None,
    *,
    init_containers: Sequence[Obj] = (),
    phase: str = "Running",
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    owner: tuple[str, str] | Obj | None = None,
    priority_class_name: str | None = None,
    priority: int | None = None,
    qos: str | None = "auto",
    restarts: Mapping[str, int] | None = None,
    last_state: Mapping[str, Obj] | None = None,
    waiting: Mapping[str, str] | None = None,
    created: datetime | None = None,
    started: datetime | None = None,
    now: datetime | None = None,
    uid: str | None = None,
    pod_ip: str | None = None,
    host_ip: str | None = None,
    volumes: Sequence[Obj] = (),
    tolerations: Sequence[Obj] | None = None,
    reason: str | None = None,
    message: str | None = None,
    pod_resources: Obj | None = None,
    defaulting: bool = True,
    with_managed_fields: bool | list[Obj] = True,
    service_account: str | None = "default",
    preemption_policy: str = "PreemptLowerPriority",
) -> Obj:
    """A pod as the apiserver returns it. Defaults: one BestEffort-less 'app' container, Running.

    qos: "auto" computes status.qosClass like the apiserver; None leaves it unset; a string sets it.
    restarts / last_state / waiting are per container name (init containers included).
    service_account None: no ServiceAccount and no token volume, as a mirror (static) pod, which the
    apiserver refuses to let reference one. preemption_policy: the PriorityClass's (Priority admission
    copies it into the pod).
    phase "Failed" with reason "Evicted" adds the DisruptionTarget condition the kubelet sets.
    """
    now = now or _now()
    created = created or now - timedelta(hours=3)
    started = started or created + timedelta(seconds=4)
    uid = uid or _uuid(f"pod/{namespace}/{name}")
    if containers is None:
        containers = [
            make_container(
                "app", "nginx:1.27", requests={"cpu": "100m", "memory": "128Mi"}, limits={"memory": "256Mi"}
            )
        ]
    containers = list(containers)
    init_containers = list(init_containers)
    if defaulting:
        apply_defaults(containers)
        apply_defaults(init_containers)
    sa_vol = f"kube-api-access-{_hex(uid, 5)}"
    sa_mount = {
        "name": sa_vol,
        "readOnly": True,
        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
    }
    for c in containers + init_containers if service_account else ():
        mounts = c.setdefault("volumeMounts", [])
        if not any(m.get("mountPath") == sa_mount["mountPath"] for m in mounts):
            # Shared specs (one per workload) keep the first pod's volume name: harmless.
            mounts.append(sa_mount)
            sa_vol = mounts[-1]["name"]
        else:
            sa_vol = next(m["name"] for m in mounts if m.get("mountPath") == sa_mount["mountPath"])
    md: Obj = {"name": name}
    if owner is not None and not isinstance(owner, dict) and owner[0] in ("ReplicaSet", "DaemonSet", "Job"):
        md["generateName"] = name.rsplit("-", 1)[0] + "-"
    md.update({"namespace": namespace, "uid": uid, "creationTimestamp": _ts(created)})
    md["labels"] = dict(labels or {"app": name})
    if annotations:
        md["annotations"] = dict(annotations)
    if owner is not None:
        md["ownerReferences"] = _owner(owner, namespace)
    if priority is None:
        priority = SYSTEM_PRIORITY_CLASSES.get(priority_class_name or "", 0)
    token_volumes: list[Obj] = (
        []
        if not service_account
        else [
            {
                "name": sa_vol,
                "projected": {
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {
                            "configMap": {
                                "name": "kube-root-ca.crt",
                                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                            }
                        },
                        {
                            "downwardAPI": {
                                "items": [
                                    {
                                        "path": "namespace",
                                        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                    }
                                ]
                            }
                        },
                    ],
                    "defaultMode": 420,
                },
            },
        ]
    )
    spec: Obj = {"volumes": [*volumes, *token_volumes]} if volumes or token_volumes else {}
    if init_containers:
        spec["initContainers"] = init_containers
    spec["containers"] = containers
    if pod_resources is not None:
        spec["resources"] = pod_resources
    spec.update(
        {
            "restartPolicy": "Never"
            if owner and not isinstance(owner, dict) and owner[0] == "Job"
            else "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
        }
    )
    if service_account:
        spec.update({"serviceAccountName": service_account, "serviceAccount": service_account})
    if node:
        spec["nodeName"] = node
    spec.update(
        {
            "securityContext": {},
            "schedulerName": "default-scheduler",
            "tolerations": list(tolerations) if tolerations is not None else list(_DEFAULT_TOLERATIONS),
        }
    )
    if priority_class_name:
        spec["priorityClassName"] = priority_class_name
    spec.update({"priority": priority, "enableServiceLinks": True, "preemptionPolicy": preemption_policy})
    pod: Obj = {"kind": "Pod", "apiVersion": "v1", "metadata": md, "spec": spec}
    pod["status"] = _pod_status(
        pod,
        phase,
        node,
        restarts or {},
        last_state or {},
        waiting or {},
        created,
        started,
        pod_ip,
        host_ip,
        reason,
        message,
        now,
    )
    if qos == "auto":
        pod["status"]["qosClass"] = compute_qos(pod)
    elif qos:
        pod["status"]["qosClass"] = qos
    if with_managed_fields is True:
        md["managedFields"] = managed_fields(pod)
    elif with_managed_fields:
        md["managedFields"] = with_managed_fields
    # Keep the apiserver's key order: metadata fields, then managedFields last.
    return pod


def _pod_status(
    pod: Obj,
    phase: str,
    node: str | None,
    restarts: Mapping[str, int],
    last_state: Mapping[str, Obj],
    waiting: Mapping[str, str],
    created: datetime,
    started: datetime,
    pod_ip: str | None,
    host_ip: str | None,
    reason: str | None,
    message: str | None,
    now: datetime,
) -> Obj:
    spec, uid = pod["spec"], pod["metadata"]["uid"]
    t_created, t_started = _ts(created), _ts(started)
    if not node or phase == "Pending" and not node:
        return {
            "phase": "Pending",
            "conditions": [
                _cond(
                    "PodScheduled",
                    False,
                    t_created,
                    "Unschedulable",
                    message
                    or "0/6 nodes are available: 6 Insufficient memory. preemption: 0/6 nodes are available: "
                    "6 No preemption victims found for incoming pod.",
                )
            ],
        }
    host_ip = host_ip or node_ip(node)
    pod_ip = pod_ip or _ip(f"pod/{uid}", "10.244")
    running = phase == "Running"
    evicted = phase == "Failed" and reason == "Evicted"

    def cstatus(c: Obj, is_init: bool) -> Obj:
        n = c["name"]
        rc = restarts.get(n, 0)
        cid = container_id(uid, n, rc)
        sidecar = is_init and c.get("restartPolicy") == "Always"
        st: Obj
        ready = False
        if n in waiting:
            # failed restartCount + 1 times: the kubelet's back-off doubles from 10 s up to 5 minutes
            wait = backoff_text(crash_backoff(rc + 1))
            st = {
                "waiting": {
                    "reason": waiting[n],
                    "message": f"back-off {wait} restarting failed container={n} "
                    f"pod={pod['metadata']['name']}_{pod['metadata']['namespace']}({uid})",
                }
            }
        elif is_init and not sidecar:
            st = {
                "terminated": {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": t_started,
                    "finishedAt": _ts(started + timedelta(seconds=2)),
                    "containerID": cid,
                }
            }
        elif running:
            began = started + timedelta(seconds=3)
            finished = ((last_state.get(n) or {}).get("terminated") or {}).get("finishedAt")
            if finished:
                # this instance started when the back-off after the last failure ran out
                ended = datetime.strptime(finished, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
                began = max(min(ended + crash_backoff(rc), now), began)
            st = {"running": {"startedAt": _ts(began)}}
            ready = True
        elif phase == "Succeeded":
            st = {
                "terminated": {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": t_started,
                    "finishedAt": _ts(started + timedelta(minutes=2)),
                    "containerID": cid,
                }
            }
        elif phase == "Failed":
            st = {
                "terminated": {
                    "exitCode": 137,
                    "reason": "ContainerStatusUnknown" if evicted else "Error",
                    "startedAt": t_started,
                    "finishedAt": _ts(started + timedelta(hours=1)),
                    "containerID": cid,
                }
            }
            if evicted:
                st["terminated"]["message"] = "The container could not be located when the pod was terminated"
        else:
            st = {"waiting": {"reason": "ContainerCreating"}}
        out: Obj = {
            "name": n,
            "state": st,
            "lastState": last_state.get(n, {}),
            "ready": ready,
            "restartCount": rc,
            "image": _full_image(c.get("image", "")),
            "imageID": _image_id(c.get("image", "")) if "waiting" not in st or rc else "",
        }
        if "waiting" not in st or rc:
            out["containerID"] = cid
        out["started"] = "running" in st
        mounts = [
            {
                "name": m["name"],
                "mountPath": m["mountPath"],
                "readOnly": bool(m.get("readOnly")),
                "recursiveReadOnly": "Disabled",
            }
            for m in c.get("volumeMounts", [])
        ]
        if mounts:
            out["volumeMounts"] = mounts
        return out

    cs = [cstatus(c, False) for c in spec["containers"]]
    ics = [cstatus(c, True) for c in spec.get("initContainers", [])]
    all_ready = running and all(s["ready"] for s in cs)
    t_ready = _ts(started + timedelta(seconds=6))
    conds = [
        _cond("PodReadyToStartContainers", phase in ("Running", "Pending"), t_started),
        _cond("Initialized", True, t_started),
        _cond(
            "Ready",
            all_ready,
            t_ready,
            None
            if all_ready
            else (
                "PodFailed"
                if phase == "Failed"
                else "PodCompleted"
                if phase == "Succeeded"
                else "ContainersNotReady"
            ),
        ),
        _cond(
            "ContainersReady",
            all_ready,
            t_ready,
            None
            if all_ready
            else (
                "PodFailed"
                if phase == "Failed"
                else "PodCompleted"
                if phase == "Succeeded"
                else "ContainersNotReady"
            ),
        ),
        _cond("PodScheduled", True, t_created),
    ]
    if not all_ready and running:
        names = ",".join(s["name"] for s in cs if not s["ready"])
        for c in conds[2:4]:
            c["message"] = f"containers with unready status: [{names}]"
    status: Obj = {"phase": phase}
    if evicted:
        conds.insert(
            0,
            _cond(
                "DisruptionTarget", True, _ts(started + timedelta(hours=1)), "TerminationByKubelet", message
            ),
        )
    status["conditions"] = conds
    if reason:
        status["message"] = message or ""
        status["reason"] = reason
    status.update({"hostIP": host_ip, "hostIPs": [{"ip": host_ip}]})
    if not evicted:
        status.update({"podIP": pod_ip, "podIPs": [{"ip": pod_ip}]})
    status["startTime"] = t_started
    if ics:
        status["initContainerStatuses"] = ics
    status["containerStatuses"] = cs
    return status


# -- nodes, namespaces, priority classes, events, metrics -----------------------------------------


def make_node(
    name: str,
    *,
    memory: str | int = "16Gi",
    cpu: str = "4",
    allocatable_memory: str | int | None = None,
    pods: int = 110,
    ready: bool = True,
    memory_pressure: bool = False,
    labels: Mapping[str, str] | None = None,
    taints: Sequence[Obj] | None = None,
    zone: str = "europe-west1-b",
    instance_type: str = "e2-standard-4",
    control_plane: bool = False,
    created: datetime | None = None,
    now: datetime | None = None,
    internal_ip: str | None = None,
    kubelet_version: str = "v1.32.4",
    unschedulable: bool = False,
) -> Obj:
    """A node. `memory` is the machine capacity (MemTotal); allocatable defaults to capacity minus the
    kube-reserved share GKE/EKS use and the 100Mi hard eviction threshold."""
    now = now or _now()
    created = created or now - timedelta(days=12)
    cap = memory_bytes(memory) if isinstance(memory, str) else memory
    cap -= cap % 1024
    if allocatable_memory is None:
        reserved = int(min(cap, 16 * 1024**3) * 0.09) + 100 * 1024**2
        alloc = cap - reserved - (cap - reserved) % 1024
    else:
        alloc = (
            memory_bytes(allocatable_memory) if isinstance(allocatable_memory, str) else allocatable_memory
        )
    ip = internal_ip or node_ip(name)
    lab = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": instance_type,
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": instance_type,
        "topology.kubernetes.io/region": zone.rsplit("-", 1)[0],
        "topology.kubernetes.io/zone": zone,
    }
    if control_plane:
        lab["node-role.kubernetes.io/control-plane"] = ""
    lab.update(labels or {})
    node_taints = list(taints or [])
    if control_plane and taints is None:
        node_taints.append({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"})
    if memory_pressure:
        node_taints.append(
            {
                "key": "node.kubernetes.io/memory-pressure",
                "effect": "NoSchedule",
                "timeAdded": _ts(now - timedelta(minutes=4)),
            }
        )
    t_hb = _ts(now - timedelta(seconds=23))
    t_tr = _ts(created + timedelta(seconds=30))
    t_mp = _ts(now - timedelta(minutes=4)) if memory_pressure else t_tr

    def cond(kind: str, ok: bool, reason: str, message: str, tr: str = t_tr) -> Obj:
        return {
            "type": kind,
            "status": "True" if ok else "False",
            "lastHeartbeatTime": t_hb,
            "lastTransitionTime": tr,
            "reason": reason,
            "message": message,
        }

    boot = _uuid(f"boot/{name}")
    spec: Obj = {"podCIDR": f"10.244.{int(_hex(name, 2), 16) % 250}.0/24"}
    spec["podCIDRs"] = [spec["podCIDR"]]
    spec["providerID"] = f"gce://acme-prod/{zone}/{name}"
    if node_taints:
        spec["taints"] = node_taints
    if unschedulable:
        spec["unschedulable"] = True
    node: Obj = {
        "kind": "Node",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "uid": _uuid(f"node/{name}"),
            "creationTimestamp": _ts(created),
            "labels": lab,
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                "csi.volume.kubernetes.io/nodeid": json.dumps(
                    {"pd.csi.storage.gke.io": f"projects/acme-prod/zones/{zone}/instances/{name}"},
                    separators=(",", ":"),
                ),
            },
        },
        "spec": spec,
        "status": {
            "capacity": {
                "cpu": cpu,
                "ephemeral-storage": "98831908Ki",
                "hugepages-1Gi": "0",
                "hugepages-2Mi": "0",
                "memory": f"{cap // 1024}Ki",
                "pods": str(pods),
            },
            "allocatable": {
                "cpu": f"{max(cpu_millis(cpu) - 100 - cpu_millis(cpu) // 25, 100)}m",
                "ephemeral-storage": "47060071478",
                "hugepages-1Gi": "0",
                "hugepages-2Mi": "0",
                "memory": f"{alloc // 1024}Ki",
                "pods": str(pods),
            },
            "conditions": [
                cond(
                    "MemoryPressure",
                    memory_pressure,
                    "KubeletHasInsufficientMemory" if memory_pressure else "KubeletHasSufficientMemory",
                    "kubelet has insufficient memory available"
                    if memory_pressure
                    else "kubelet has sufficient memory available",
                    t_mp,
                ),
                cond("DiskPressure", False, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                cond("PIDPressure", False, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                cond(
                    "Ready",
                    ready,
                    "KubeletReady" if ready else "KubeletNotReady",
                    "kubelet is posting ready status"
                    if ready
                    else "container runtime network not ready: NetworkReady=false",
                ),
            ],
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": _hex(f"machine/{name}", 32),
                "systemUUID": _uuid(f"sys/{name}"),
                "bootID": boot,
                "kernelVersion": "6.1.112+",
                "osImage": "Container-Optimized OS from Google",
                "containerRuntimeVersion": "containerd://1.7.24",
                "kubeletVersion": kubelet_version,
                "kubeProxyVersion": kubelet_version,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
            "images": [
                {
                    "names": ["registry.k8s.io/pause@sha256:" + _hex("pause"), "registry.k8s.io/pause:3.10"],
                    "sizeBytes": 320368,
                },
                {
                    "names": [
                        "registry.k8s.io/kube-proxy@sha256:" + _hex("kube-proxy"),
                        f"registry.k8s.io/kube-proxy:{kubelet_version}",
                    ],
                    "sizeBytes": 30218561,
                },
            ],
        },
    }
    return node


def make_namespace(
    name: str, *, labels: Mapping[str, str] | None = None, created: datetime | None = None
) -> Obj:
    lab = {"kubernetes.io/metadata.name": name, **(labels or {})}
    md: Obj = {"name": name, "uid": _uuid(f"ns/{name}"), "labels": lab}
    if created is not None:
        md["creationTimestamp"] = _ts(created)
    return {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": md,
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def make_priority_class(
    name: str,
    value: int,
    *,
    global_default: bool = False,
    description: str = "",
    preemption_policy: str = "PreemptLowerPriority",
    created: datetime | None = None,
) -> Obj:
    md: Obj = {"name": name, "uid": _uuid(f"pc/{name}")}
    if created is not None:
        md["creationTimestamp"] = _ts(created)
    pc: Obj = {"kind": "PriorityClass", "apiVersion": "scheduling.k8s.io/v1", "metadata": md, "value": value}
    if global_default:
        pc["globalDefault"] = True
    pc["description"] = description or f"Priority class {name}."
    pc["preemptionPolicy"] = preemption_policy
    return pc


def make_event(
    involved: Obj,
    reason: str,
    message: str,
    *,
    type: str = "Warning",
    count: int = 1,
    first: datetime | None = None,
    last: datetime | None = None,
    component: str = "kubelet",
    host: str | None = None,
    annotations: Mapping[str, str] | None = None,
    field_path: str | None = None,
    name_suffix: str | None = None,
) -> Obj:
    """A core/v1 Event about `involved` (a Pod or Node dict)."""
    md = involved["metadata"]
    ns = md.get("namespace", "default")
    last = last or _now()
    first = first or last
    inv: Obj = {
        "kind": involved.get("kind", "Pod"),
        "namespace": ns if "namespace" in md else "",
        "name": md["name"],
        "uid": md.get("uid", ""),
        "apiVersion": "v1",
    }
    if not inv["namespace"]:
        del inv["namespace"]
    if field_path:
        inv["fieldPath"] = field_path
    suffix = name_suffix or _hex(f"{md['name']}/{reason}/{message}", 16)
    emd: Obj = {"name": f"{md['name']}.{suffix}", "namespace": ns, "creationTimestamp": _ts(first)}
    if annotations:
        emd["annotations"] = dict(annotations)
    source: Obj = {"component": component}
    if host:
        source["host"] = host
    return {
        "kind": "Event",
        "apiVersion": "v1",
        "metadata": emd,
        "involvedObject": inv,
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": _ts(first),
        "lastTimestamp": _ts(last),
        "count": count,
        "type": type,
        "eventTime": None,
        "reportingComponent": component,
        "reportingInstance": host or "",
    }


def make_pod_metrics(
    pod: Obj,
    memory: Mapping[str, int | str],
    *,
    cpu: Mapping[str, int | str] | None = None,
    timestamp: datetime | None = None,
    window: str = "15.063s",
) -> Obj:
    """PodMetrics as metrics-server serves it: per container working set (Ki) and CPU (nanocores)."""
    md = pod["metadata"]
    ts = _ts(timestamp or _now())
    containers = []
    for name, mem in memory.items():
        b = memory_bytes(mem) if isinstance(mem, str) else mem
        c = (cpu or {}).get(name, 1_000_000)
        n = cpu_nanos(c) if isinstance(c, str) else c
        containers.append({"name": name, "usage": {"cpu": fmt_cpu_nanos(n), "memory": fmt_ki(b)}})
    meta: Obj = {"name": md["name"], "namespace": md.get("namespace", "default"), "creationTimestamp": ts}
    if md.get("labels"):
        meta["labels"] = md["labels"]
    return {
        "kind": "PodMetrics",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": meta,
        "timestamp": ts,
        "window": window,
        "containers": containers,
    }


def make_node_metrics(
    name: str,
    memory: int | str,
    *,
    cpu_nanocores: int = 0,
    timestamp: datetime | None = None,
    window: str = "20.032s",
    labels: Mapping[str, str] | None = None,
) -> Obj:
    ts = _ts(timestamp or _now())
    b = memory_bytes(memory) if isinstance(memory, str) else memory
    meta: Obj = {"name": name, "creationTimestamp": ts}
    meta["labels"] = dict(labels) if labels else {"kubernetes.io/hostname": name}
    return {
        "kind": "NodeMetrics",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": meta,
        "timestamp": ts,
        "window": window,
        "usage": {"cpu": fmt_cpu_nanos(cpu_nanocores or 250_000_000), "memory": fmt_ki(b)},
    }
