"""Collector pods: one short-lived pod per node prints the node's cgroup memory files; we read its log.

The pod (see `collector_pod`) is bound to the node with `spec.nodeName`, tolerates every taint,
runs `collector.sh` (fixed text, nothing the user typed goes into it) as uid 65534 with a read-only
root filesystem, no capabilities, no service account token, and only the host's /sys/fs/cgroup
mounted read-only. Defaults: image `busybox:1.36` (any image with a POSIX shell and awk works:
`--image`), namespace `kubectl-mem` (`--collector-namespace`). What it needs there (RBAC, Pod Security
"privileged" because of the hostPath volume) is said once, in collector_access.py.

Leaving nothing behind: each pod is deleted (gracePeriodSeconds=0) after its log is read, on every
error, and by `Collector.cleanup()` which the command calls on Ctrl-C and SIGTERM; pods of earlier
runs (managed-by label, older than `stale_after_s`) are swept at start; `activeDeadlineSeconds`
is the kubelet-side backstop.

Without RBAC to create pods, `Collector.collect` falls back to the kubelet Summary API through
`nodes/NAME/proxy/stats/summary` and says what is missing.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import msgspec

from kubectl_mem.errors import ApiError, ApiNotFoundError, ForbiddenError, KubectlMemError
from kubectl_mem.kube import collector_access as access
from kubectl_mem.kube.cgroup_dir import collector_script
from kubectl_mem.kube.http import Transport
from kubectl_mem.model.cgroup import CgroupSnapshot, parse_cgroup_dump

DEFAULT_IMAGE = "busybox:1.36"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "kubectl-mem"
RUN_ID_LABEL = "kubectl-mem/run-id"
CONTAINER = "collect"
GENERATE_NAME = "kubectl-mem-cgroups-"
ACTIVE_DEADLINE_S = 120
STALE_AFTER_S = 600.0
RBAC_VERBS = access.verbs()
MISSING_WITHOUT_PODS = (
    "anon/file/shmem/kernel breakdown, reclaimable vs unreclaimable, OOM kills counted by the kernel, "
    "peak, PSI and the node's memory.available from the kernel"
)

Obj = dict[str, Any]


class CollectorError(KubectlMemError):
    """One node's collection failed; `kind` names why (psa, rbac, image, node, pending, log, deadline)."""

    def __init__(self, message: str, *, kind: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.kind = kind


@dataclass
class NodeResult:
    node: str
    snapshot: CgroupSnapshot | None = None
    summary: Obj | None = None  # the Summary API document, when pods could not be created
    error: str | None = None
    kind: str | None = None  # CollectorError.kind of the error
    warnings: list[str] = field(default_factory=list)
    pod: str | None = None  # the collector pod's name
    pod_uid: str | None = None  # and its UID: its own cgroup is in the node's output
    left_behind: bool = False  # the collector pod could not be deleted (said in warnings)
    phases: list[str] = field(default_factory=list)  # the phases the pod was seen in


def collector_pod(node: str, *, image: str, run_id: str, script: str | None = None) -> Obj:
    """The collector pod for `node`, as it is POSTed."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": GENERATE_NAME,
            "labels": {MANAGED_BY_LABEL: MANAGED_BY, RUN_ID_LABEL: run_id},
        },
        "spec": {
            "nodeName": node,
            "restartPolicy": "Never",
            "activeDeadlineSeconds": ACTIVE_DEADLINE_S,
            "terminationGracePeriodSeconds": 0,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "hostPID": False,
            "hostNetwork": False,
            "hostIPC": False,
            "tolerations": [{"operator": "Exists"}],
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 65534,
                "runAsGroup": 65534,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [
                {
                    "name": CONTAINER,
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["/bin/sh", "-c", script if script is not None else collector_script()],
                    "env": [{"name": "CGROUP_ROOT", "value": "/host/sys/fs/cgroup"}],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "32Mi"},
                        "limits": {"cpu": "100m", "memory": "32Mi"},
                    },
                    "securityContext": {
                        "readOnlyRootFilesystem": True,
                        "allowPrivilegeEscalation": False,
                        "privileged": False,
                        "capabilities": {"drop": ["ALL"]},
                    },
                    "volumeMounts": [{"name": "cg", "mountPath": "/host/sys/fs/cgroup", "readOnly": True}],
                }
            ],
            "volumes": [{"name": "cg", "hostPath": {"path": "/sys/fs/cgroup", "type": "Directory"}}],
        },
    }


def _decode(body: bytes) -> Obj:
    try:
        doc = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _node_ready(node: Obj) -> bool | None:
    for c in node.get("status", {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return None


class Collector:
    """Collect nodes through collector pods in `namespace`. Thread-safe; `cleanup()` from anywhere."""

    def __init__(
        self,
        transport: Transport,
        namespace: str,
        *,
        image: str = DEFAULT_IMAGE,
        concurrency: int = 4,
        pending_timeout: float = 60.0,
        timeout: float = 120.0,
        poll_interval: float = 0.25,
        stale_after_s: float = STALE_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.t = transport
        self.namespace = namespace
        self.image = image
        self.concurrency = max(1, concurrency)
        self.pending_timeout = pending_timeout
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.stale_after_s = stale_after_s
        self.clock = clock
        self.run_id = str(uuid.uuid4())
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._live: set[str] = set()
        self._delete_errors: dict[str, str] = {}  # the last failed delete of a pod still in _live
        self._script = collector_script()
        self.can_create = True

    @property
    def _pods(self) -> str:
        return f"/api/v1/namespaces/{self.namespace}/pods"

    # -- cleanup --------------------------------------------------------------------------------
    def _delete(self, name: str) -> None:
        try:
            self.t.delete(f"{self._pods}/{name}", [("gracePeriodSeconds", "0")], ok_statuses=(404,))
        except KubectlMemError as e:
            with self._lock:
                self._delete_errors[name] = e.message
            return  # kept in _live: cleanup() tries again
        with self._lock:
            self._live.discard(name)
            self._delete_errors.pop(name, None)

    def left_behind(self) -> dict[str, str]:
        """After cleanup(): the pods this run created that could not be deleted, and why."""
        with self._lock:
            return {n: self._delete_errors.get(n, "not deleted") for n in sorted(self._live)}

    def left_behind_warning(self, name: str, why: str) -> str:
        """One line: which pod stays, why, and the command that deletes it."""
        return (
            f"could not delete the collector pod {self.namespace}/{name} ({why}): it stays until deleted "
            f"with: kubectl delete pod -n {self.namespace} {name}"
        )

    def cleanup(self) -> None:
        """Stop starting pods and delete every pod this run created that is still there."""
        self.stopping.set()
        with self._lock:
            names = sorted(self._live)
        for name in names:
            self._delete(name)

    def live(self) -> list[str]:
        with self._lock:
            return sorted(self._live)

    def sweep(self) -> list[str]:
        """Delete collector pods of earlier runs older than stale_after_s; their names."""
        try:
            resp = self.t.get(self._pods, [("labelSelector", f"{MANAGED_BY_LABEL}={MANAGED_BY}")])
        except KubectlMemError:
            return []
        now = dt.datetime.now(dt.UTC)
        gone = []
        for pod in _decode(resp.body).get("items") or []:
            md = pod.get("metadata", {})
            if (md.get("labels") or {}).get(RUN_ID_LABEL) == self.run_id:
                continue
            try:
                created = dt.datetime.fromisoformat(md.get("creationTimestamp", "").replace("Z", "+00:00"))
            except ValueError:
                continue
            if (now - created).total_seconds() >= self.stale_after_s:
                try:
                    self.t.delete(
                        f"{self._pods}/{md['name']}", [("gracePeriodSeconds", "0")], ok_statuses=(404,)
                    )
                    gone.append(md["name"])
                except KubectlMemError:
                    pass
        return gone

    # -- one node -------------------------------------------------------------------------------
    def _check_node(self, node: str) -> None:
        try:
            doc = _decode(self.t.get(f"/api/v1/nodes/{node}").body)
        except ApiNotFoundError:
            raise CollectorError(f'node "{node}" not found', kind="node") from None
        except ForbiddenError:
            return  # no `get nodes`: the pod's fate will tell
        if _node_ready(doc) is False:
            raise CollectorError(
                f'node "{node}" is NotReady: its kubelet would not start the collector pod', kind="node"
            )

    def _create(self, node: str) -> tuple[str, str]:
        body = msgspec.json.encode(
            collector_pod(node, image=self.image, run_id=self.run_id, script=self._script)
        )
        try:
            resp = self.t.post(self._pods, body)
        except ForbiddenError as e:
            if "violates PodSecurity" in e.message:
                level = e.message.split('violates PodSecurity "', 1)[1].split(":", 1)[0]
                raise CollectorError(
                    f'namespace "{self.namespace}" rejects the collector pod: Pod Security level "{level}" '
                    'forbids its hostPath volume; it needs level "privileged"',
                    kind="psa",
                    hint=access.label_hint(),
                ) from None
            self.can_create = False
            raise CollectorError(
                f'not allowed to create pods in namespace "{self.namespace}" (RBAC: needs {RBAC_VERBS})',
                kind="rbac",
            ) from None
        except ApiNotFoundError as e:
            if f'namespaces "{self.namespace}" not found' in e.message:
                raise CollectorError(access.missing_namespace(self.namespace), kind="namespace") from None
            raise CollectorError(f"cannot create the collector pod: {e.message}", kind="namespace") from None
        meta = _decode(resp.body).get("metadata", {})
        name = meta.get("name", "")
        if not name:
            raise CollectorError("the API server did not name the collector pod", kind="api")
        with self._lock:
            self._live.add(name)
        return name, meta.get("uid", "")

    def _wait(self, node: str, name: str, result: NodeResult) -> None:
        start = self.clock()
        while True:
            if self.stopping.is_set():
                raise CollectorError("interrupted", kind="interrupted")
            try:
                pod = _decode(self.t.get(f"{self._pods}/{name}").body)
            except ApiNotFoundError:
                raise CollectorError(
                    f'the collector pod on node "{node}" was deleted before it ran (node gone?)', kind="node"
                ) from None
            except ForbiddenError:
                raise CollectorError(
                    f'not allowed to get pods in namespace "{self.namespace}" (RBAC: needs {RBAC_VERBS})',
                    kind="rbac",
                ) from None
            st = pod.get("status", {})
            phase = st.get("phase", "Pending")
            if not result.phases or result.phases[-1] != phase:
                result.phases.append(phase)
            if phase == "Succeeded":
                return
            if phase == "Failed":
                if st.get("reason") == "DeadlineExceeded":
                    raise CollectorError(
                        f'the collector pod on node "{node}" exceeded its deadline '
                        f"({ACTIVE_DEADLINE_S}s) and was killed",
                        kind="deadline",
                    )
                raise CollectorError(
                    f'the collector pod on node "{node}" failed: '
                    f"{st.get('reason') or st.get('message') or '?'}",
                    kind="failed",
                )
            for cs in st.get("containerStatuses") or []:
                waiting = cs.get("state", {}).get("waiting", {})
                if waiting.get("reason") in ("ErrImagePull", "ImagePullBackOff", "InvalidImageName"):
                    raise CollectorError(
                        f'node "{node}" cannot pull the collector image "{self.image}" ({waiting["reason"]})',
                        kind="image",
                        hint="use --image with an image the nodes can pull that has a POSIX shell",
                    )
            elapsed = self.clock() - start
            if phase == "Pending" and elapsed > self.pending_timeout:
                self._check_node(node)
                raise CollectorError(
                    f'the collector pod on node "{node}" stayed Pending for more than '
                    f"{self.pending_timeout:g}s",
                    kind="pending",
                )
            if elapsed > self.timeout:
                raise CollectorError(
                    f'the collector pod on node "{node}" did not finish within {self.timeout:g}s',
                    kind="timeout",
                )
            self.stopping.wait(self.poll_interval)

    def _log(self, node: str, name: str) -> str:
        try:
            resp = self.t.get(
                f"{self._pods}/{name}/log", [("container", CONTAINER)], accept="text/plain, */*"
            )
        except ForbiddenError:
            raise CollectorError(
                f'not allowed to read pod logs in namespace "{self.namespace}" (RBAC: needs get pods/log)',
                kind="rbac",
            ) from None
        except ApiError as e:
            raise CollectorError(
                f'cannot read the log of the collector pod on node "{node}": {e.message}', kind="log"
            ) from None
        return resp.body.decode("utf-8", errors="replace")

    def collect_node(self, node: str) -> NodeResult:
        result = NodeResult(node)
        name = None
        try:
            if self.stopping.is_set():
                raise CollectorError("interrupted", kind="interrupted")
            self._check_node(node)
            name, result.pod_uid = self._create(node)
            result.pod = name
            if self.stopping.is_set():
                raise CollectorError("interrupted", kind="interrupted")
            self._wait(node, name, result)
            text = self._log(node, name)
            snap = parse_cgroup_dump(text)
            result.snapshot = snap
            if snap.truncated:
                result.warnings.append(
                    f'the collector output of node "{node}" was truncated: '
                    f"{len(snap.pods)} pods parsed, the rest is missing"
                )
            result.warnings.extend(f'node "{node}": {p}' for p in snap.problems[:5])
            if not snap.cgroups:
                raise CollectorError(
                    f'the collector output of node "{node}" could not be parsed', kind="garbled"
                )
        except CollectorError as e:
            result.error, result.kind = str(e), e.kind
        except KubectlMemError as e:
            result.error, result.kind = f'node "{node}": {e}', "api"
        finally:
            if name is not None:
                self._delete(name)
        return result

    def summary(self, node: str) -> NodeResult:
        result = NodeResult(node)
        try:
            result.summary = _decode(self.t.get(f"/api/v1/nodes/{node}/proxy/stats/summary").body)
        except ForbiddenError:
            result.error, result.kind = (
                "no Summary API fallback either: it needs get nodes/proxy",  # alike on every node
                "rbac",
            )
        except KubectlMemError as e:
            result.error, result.kind = f'node "{node}": Summary API: {e}', "api"
        return result

    def collect(self, nodes: Sequence[str]) -> list[NodeResult]:
        """Every node, `concurrency` at a time; a node that cannot create pods falls back to Summary."""
        pool = ThreadPoolExecutor(max_workers=min(self.concurrency, max(1, len(nodes))))
        try:
            futures = [pool.submit(self.collect_node, n) for n in nodes]
            results = []
            for f in futures:
                while True:  # a bounded wait keeps the main thread responsive to signals
                    try:
                        results.append(f.result(timeout=0.2))
                        break
                    except TimeoutError:
                        continue
        except BaseException:
            self.stopping.set()
            pool.shutdown(wait=True, cancel_futures=True)
            self.cleanup()
            raise
        pool.shutdown(wait=True)
        for i, r in enumerate(results):
            if r.kind == "rbac" and not self.can_create:
                fb = self.summary(r.node)
                if fb.summary is not None:
                    fb.warnings.append(
                        f'{r.error}: falling back to the kubelet Summary API for node "{r.node}" '
                        f"(RSS, usage, working set, page faults; missing: {MISSING_WITHOUT_PODS})"
                    )
                else:  # nothing to show: one error with both reasons, no word of a fallback used
                    fb.error = f"{r.error}; {fb.error}"
                results[i] = fb
        return results
