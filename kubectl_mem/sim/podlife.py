"""Pod lifecycle for the simulated apiserver: create, log, delete, as the collector pods need them.

`install(server)` registers on the server's router (and adds the collector's default namespace, set up
as docs/install.md says, if the cluster has none):

    POST   /api/v1/namespaces/{namespace}/pods              create (generateName, PSA, validation)
    GET    /api/v1/namespaces/{namespace}/pods/{name}/log   text/plain, the container's stdout
    DELETE /api/v1/namespaces/{namespace}/pods/{name}       gracePeriodSeconds honoured (recorded)

and returns the `PodLife` whose attributes are the fault knobs. A created pod moves Pending →
Running → Succeeded on a thread (steps of `step_s` seconds). Its log is the real output of the
collector script, run under busybox sh (or sh) against a synthetic cgroup tree built for the pod's
node by sim/kernel.py from the cluster's pods and usage (the Summary API reads the same): their UIDs,
container IDs from status, QoS class, and usage equal to the metrics (working set = usage -
inactive_file, anon = rss).

What the real apiserver does, and the sim too:
- `spec.nodeName` is only checked to be a valid name: a pod bound to a node that does not exist
  is accepted and stays Pending; the pod GC controller deletes it after a quarantine (40 s in
  kube-controller-manager; `orphan_gc_s` here).
- Pod Security Admission runs after name generation, so the 403 names the generated pod.
- The log of a container that has not started is a 400 ("is waiting to start").
"""

from __future__ import annotations

import copy
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubectl_mem.kube import collector_access as access

from .builders import make_namespace
from .cgtree import Layout, build_node
from .cluster import encode, rfc3339
from .kernel import node_pods, node_spec
from .server import ApiError, RequestContext, Response

if TYPE_CHECKING:
    from .server import SimServer

__all__ = ["PSA_LABEL", "PodLife", "install"]

Obj = dict[str, Any]
PSA_LABEL = access.POD_SECURITY_LABEL
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery/pkg/util/rand
_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


class _Stopped(Exception):
    """The server is stopping: a kubelet thread ends where it is."""


@dataclass
class PodLife:
    """The lifecycle controller and its knobs (set them while the server runs).

    psa               namespace -> "privileged" | "baseline" | "restricted" (else the namespace's
                      pod-security.kubernetes.io/enforce label, else privileged)
    not_ready         node names whose kubelet does not start pods (they stay Pending)
    image_pull_error  True: every image fails to pull (ErrImagePull, then ImagePullBackOff)
    log_status        answer GET .../log with this status (500, 400 ...) instead of the log
    truncate_log      serve only this many bytes of the log
    deadline_exceeded the kubelet kills the pod at its deadline: phase Failed, DeadlineExceeded
    orphan_gc_s       the pod GC deletes pods bound to a missing node after this long
    step_s            time between phase transitions
    layout            the cgroup layout of the simulated nodes
    layouts           per node, instead of `layout` (e.g. one node still on cgroup v1)
    """

    server: SimServer
    psa: dict[str, str] = field(default_factory=dict)
    not_ready: set[str] = field(default_factory=set)
    image_pull_error: bool = False
    log_status: int | None = None
    truncate_log: int | None = None
    deadline_exceeded: bool = False
    orphan_gc_s: float = 1.0
    step_s: float = 0.05
    layout: Layout = Layout()
    layouts: dict[str, Layout] = field(default_factory=dict)
    created: list[Obj] = field(default_factory=list)  # every pod POSTed, as the client sent it
    deletes: list[tuple[str, str, str | None]] = field(default_factory=list)  # (ns, name, grace)
    _logs: dict[tuple[str, str], str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: set[threading.Thread] = field(default_factory=set)

    def close(self) -> None:
        """Stop the kubelet threads and wait for each to end, so that each has removed its
        temporary cgroup tree before the process exits. No timeout: a thread stops at its next
        step (a wait, the tree built, the collector script killed), and one still inside its
        `TemporaryDirectory` when the interpreter exits races the exit's own clean-up of it
        (rmtree: 'Directory not empty', a traceback after the command's last line)."""
        with self._lock:  # no thread starts once this is set (create checks it under the lock)
            self._stop.set()
            threads = list(self._threads)
        for t in threads:
            t.join()

    # -- handlers -------------------------------------------------------------------------------
    def create(self, ctx: RequestContext) -> Response:
        ns = ctx.params["namespace"]
        try:
            pod = ctx.json()
        except ValueError as e:
            raise ApiError.bad_request(f"error decoding the request body: {e}") from None
        if not isinstance(pod, dict) or pod.get("kind", "Pod") != "Pod":
            raise ApiError.bad_request("the body of the request was in an unknown format")
        cluster = ctx.cluster
        if cluster.get_entry("namespaces", ns) is None:
            raise ApiError(
                404, "NotFound", f'namespaces "{ns}" not found', {"name": ns, "kind": "namespaces"}
            )
        with self._lock:
            self.created.append(copy.deepcopy(pod))
        md = pod.setdefault("metadata", {})
        if md.get("namespace", ns) != ns:
            raise ApiError.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        if not md.get("name"):
            if not md.get("generateName"):
                raise _invalid("", [("metadata.name", "Required value", "name or generateName is required")])
            md["name"] = md["generateName"] + "".join(random.choices(_NAME_CHARS, k=5))
        name = md["name"]
        self._validate(pod, name)
        level = self._psa_level(ctx, ns)
        if level in ("baseline", "restricted"):
            bad = [v["name"] for v in pod["spec"].get("volumes") or [] if "hostPath" in v]
            if bad:
                vols = ", ".join(f'"{v}"' for v in bad)
                what = f"hostPath volumes (volume{'s' if len(bad) > 1 else ''} {vols})"
                raise ApiError(
                    403,
                    "Forbidden",
                    f'pods "{name}" is forbidden: violates PodSecurity "{level}:latest": {what}',
                    {"name": name, "kind": "pods"},
                )
        if cluster.get_entry("pods", name, ns) is not None:
            raise ApiError(
                409, "AlreadyExists", f'pods "{name}" already exists', {"name": name, "kind": "pods"}
            )
        _admit(cluster, pod)
        md["namespace"] = ns
        md["uid"] = str(uuid.uuid4())
        md["creationTimestamp"] = rfc3339(datetime.now(UTC))
        pod["apiVersion"], pod["kind"] = "v1", "Pod"
        pod["status"] = {"phase": "Pending", "qosClass": _qos_of(pod)}
        cluster.add_pod(copy.deepcopy(pod), ensure_namespace=False)
        with self._lock:
            if not self._stop.is_set():
                # not a daemon: the interpreter's exit waits for it (it ends within a step once
                # `close` stops it), so its cgroup tree is gone before exit, even without `close`
                t = threading.Thread(target=self._kubelet, args=(ns, name), name=f"sim-pod-{name}")
                self._threads.add(t)
                t.start()
        stored = cluster.get("pods", name, ns)
        return Response(201, encode(stored))

    def log(self, ctx: RequestContext) -> Response:
        ns, name = ctx.params["namespace"], ctx.params["name"]
        pod = ctx.cluster.get("pods", name, ns)
        if pod is None:
            raise ApiError.not_found("pods", name)
        if self.log_status is not None:
            if self.log_status >= 500:
                raise ApiError(
                    self.log_status,
                    "InternalError",
                    f'Internal error occurred: Get "https://10.0.0.1:10250/containerLogs/{ns}/{name}/collect":'
                    " dial tcp 10.0.0.1:10250: connect: connection refused",
                )
            raise ApiError(self.log_status, "BadRequest", f'the log of pod "{name}" cannot be read')
        cs = (pod.get("status", {}).get("containerStatuses") or [{}])[0]
        container = (pod["spec"].get("containers") or [{}])[0].get("name", "")
        if "waiting" in cs.get("state", {}) or not cs:
            why = cs.get("state", {}).get("waiting", {}).get("reason", "ContainerCreating")
            if why in ("ErrImagePull", "ImagePullBackOff"):
                raise ApiError.bad_request(
                    f'container "{container}" in pod "{name}" is waiting to start: '
                    "trying and failing to pull image"
                )
            raise ApiError.bad_request(f'container "{container}" in pod "{name}" is waiting to start: {why}')
        with self._lock:
            text = self._logs.get((ns, name), "")
        data = text.encode()
        if self.truncate_log is not None:
            data = data[: self.truncate_log]
        return Response(200, data, "text/plain")

    def delete(self, ctx: RequestContext) -> Response:
        ns, name = ctx.params["namespace"], ctx.params["name"]
        with self._lock:
            self.deletes.append((ns, name, ctx.query.get("gracePeriodSeconds")))
        obj = ctx.cluster.delete("pods", name, ns)
        if obj is None:
            raise ApiError.not_found("pods", name)
        with self._lock:
            self._logs.pop((ns, name), None)
        # gracePeriodSeconds=0 deletes at once; the answer is the pod as it was, marked deleted
        gone = copy.deepcopy(obj)
        gone["metadata"].update(deletionTimestamp=rfc3339(datetime.now(UTC)), deletionGracePeriodSeconds=0)
        return Response(200, encode(gone))

    # -- admission and validation ---------------------------------------------------------------
    def _psa_level(self, ctx: RequestContext, ns: str) -> str:
        if ns in self.psa:
            return self.psa[ns]
        nso = ctx.cluster.get("namespaces", ns) or {}
        return (nso.get("metadata", {}).get("labels") or {}).get(PSA_LABEL, "privileged")

    def _validate(self, pod: Obj, name: str) -> None:
        errs: list[tuple[str, str, str]] = []
        spec = pod.get("spec")
        if not isinstance(spec, dict):
            raise _invalid(name, [("spec", "Required value", "")])
        ctrs = spec.get("containers") or []
        if not ctrs:
            errs.append(("spec.containers", "Required value", ""))
        for i, c in enumerate(ctrs):
            if not c.get("name"):
                errs.append((f"spec.containers[{i}].name", "Required value", ""))
            if not c.get("image"):
                errs.append((f"spec.containers[{i}].image", "Required value", ""))
        node = spec.get("nodeName")
        if node and not _DNS1123.match(node):
            errs.append(("spec.nodeName", f'Invalid value: "{node}"', "a lowercase RFC 1123 subdomain"))
        if spec.get("restartPolicy", "Always") not in ("Always", "OnFailure", "Never"):
            errs.append(("spec.restartPolicy", "Unsupported value", ""))
        if errs:
            raise _invalid(name, errs)

    # -- the kubelet ----------------------------------------------------------------------------
    def _update(self, ns: str, name: str, status: Obj) -> bool:
        cluster = self.server.cluster
        pod = cluster.get("pods", name, ns)
        if pod is None:
            return False
        pod = copy.deepcopy(pod)
        pod["status"] = {**pod.get("status", {}), **status}
        cluster.put("pods", pod)
        return True

    def _kubelet(self, ns: str, name: str) -> None:
        try:
            self._run(ns, name)
        except _Stopped:
            pass
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _sleep(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise _Stopped

    def _run(self, ns: str, name: str) -> None:
        cluster = self.server.cluster
        self._sleep(self.step_s)
        pod = cluster.get("pods", name, ns)
        if pod is None:
            return
        node = pod["spec"].get("nodeName", "")
        container = pod["spec"]["containers"][0]
        cname, image = container["name"], container["image"]
        if node and cluster.get("nodes", node) is None:
            self._sleep(self.orphan_gc_s)  # the pod GC's quarantine, then a forced delete
            cluster.delete("pods", name, ns)
            return
        if not node or node in self.not_ready or not _node_ready(cluster.get("nodes", node)):
            self._update(ns, name, {"conditions": [_cond("PodScheduled", "True" if node else "False")]})
            return
        started = rfc3339(datetime.now(UTC))
        waiting = {"containerCreating": {"reason": "ContainerCreating"}}
        base = {"name": cname, "image": image, "imageID": "", "ready": False, "restartCount": 0}
        self._update(
            ns,
            name,
            {
                "hostIP": "10.0.0.1",
                "startTime": started,
                "conditions": [_cond("PodScheduled", "True"), _cond("Initialized", "True")],
                "containerStatuses": [{**base, "state": {"waiting": waiting["containerCreating"]}}],
            },
        )
        self._sleep(self.step_s)
        if self.image_pull_error:
            msg = f'failed to pull and unpack image "docker.io/library/{image}": not found'
            self._update(
                ns,
                name,
                {
                    "containerStatuses": [
                        {**base, "state": {"waiting": {"reason": "ErrImagePull", "message": msg}}}
                    ]
                },
            )
            self._sleep(self.step_s)
            backoff = {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}
            self._update(ns, name, {"containerStatuses": [{**base, "state": {"waiting": backoff}}]})
            return
        cid = "containerd://" + uuid.uuid4().hex + uuid.uuid4().hex
        running = {"running": {"startedAt": started}}
        if not self._update(
            ns,
            name,
            {
                "phase": "Running",
                "podIP": "10.244.0.250",
                "containerStatuses": [
                    {**base, "ready": True, "started": True, "containerID": cid, "state": running}
                ],
            },
        ):
            return
        if self.deadline_exceeded:
            self._sleep(self.step_s)
            self._update(
                ns,
                name,
                {
                    "phase": "Failed",
                    "reason": "DeadlineExceeded",
                    "message": "Pod was active on the node longer than the specified deadline",
                },
            )
            return
        out = self.collector_output(node)
        with self._lock:
            self._logs[(ns, name)] = out
        self._sleep(self.step_s)
        done = {
            "terminated": {
                "exitCode": 0,
                "reason": "Completed",
                "startedAt": started,
                "finishedAt": rfc3339(datetime.now(UTC)),
                "containerID": cid,
            }
        }
        self._update(
            ns,
            name,
            {
                "phase": "Succeeded",
                "containerStatuses": [{**base, "started": False, "containerID": cid, "state": done}],
            },
        )

    def collector_output(self, node: str) -> str:
        """Run the real collector script under busybox sh against the node's synthetic tree.

        Stops (raises _Stopped) once `close` is called: before and after building the tree, and
        while the script runs (killed); the tree is removed here, in this thread, either way."""
        script = resources.files("kubectl_mem.kube").joinpath("collector.sh").read_text(encoding="utf-8")
        busybox = shutil.which("busybox")
        shell = [busybox, "sh"] if busybox else ["sh"]
        with tempfile.TemporaryDirectory(prefix="sim-cgroup-") as tmp:
            root = Path(tmp) / "sys-fs-cgroup"
            cluster = self.server.cluster
            pods = node_pods(cluster, node)
            node_obj = cluster.get("nodes", node) or {"metadata": {"name": node}}
            self._check_stop()
            layout = self.layouts.get(node, self.layout)
            build_node(root, layout, pods, node=node_spec(node_obj, pods, cluster.node_usage(node)))
            self._check_stop()
            env = {
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "LC_ALL": "C",
                "CGROUP_ROOT": str(root),
                "MEMINFO": str(root / "meminfo"),
            }
            with subprocess.Popen(
                [*shell, "-c", script, "kubectl-mem-collector"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            ) as proc:
                deadline = time.monotonic() + 60
                while True:
                    try:  # communicate again after a timeout loses no output
                        out, _ = proc.communicate(timeout=0.05)
                        break
                    except subprocess.TimeoutExpired:
                        if self._stop.is_set() or time.monotonic() > deadline:
                            proc.kill()
                            out, _ = proc.communicate()
                            self._check_stop()
                            break
        return out.decode("utf-8", errors="replace")

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise _Stopped


def _admit(cluster: Any, pod: Obj) -> None:
    """What kube-apiserver adds to a pod it creates (seen on a 1.36 one, tests/apiserver): defaults,
    false host* fields dropped (omitempty), the ServiceAccount, the priority and preemption policy of
    the pod's PriorityClass or of the global default (Priority admission). Not the node's topology
    labels (PodTopologyLabels admission, 1.35+): the simulated cluster is a 1.32 one."""
    spec = pod["spec"]
    for c in [*spec.get("initContainers", []), *spec["containers"]]:
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
        tag = c["image"].rsplit("/", 1)[-1]
        latest = ":" not in tag or tag.endswith(":latest")
        c.setdefault("imagePullPolicy", "Always" if latest and "@" not in tag else "IfNotPresent")
    for k in ("hostPID", "hostNetwork", "hostIPC"):
        if spec.get(k) is False:
            del spec[k]
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("serviceAccountName", "default")
    spec["serviceAccount"] = spec["serviceAccountName"]
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    classes = cluster.list("priorityclasses.scheduling.k8s.io")
    wanted = spec.get("priorityClassName")
    pc = next(
        (c for c in classes if (c["metadata"]["name"] == wanted if wanted else c.get("globalDefault"))), None
    )
    if pc is not None:
        spec["priorityClassName"] = pc["metadata"]["name"]
    spec["priority"] = pc["value"] if pc else 0
    spec.setdefault("enableServiceLinks", True)
    spec["preemptionPolicy"] = (pc or {}).get("preemptionPolicy", "PreemptLowerPriority")


def _qos_of(pod: Obj) -> str:
    ctrs = pod.get("spec", {}).get("containers") or []
    reqs = [c.get("resources", {}) for c in ctrs]
    if all(not r.get("requests") and not r.get("limits") for r in reqs):
        return "BestEffort"
    for r in reqs:
        lim = r.get("limits") or {}
        req = r.get("requests") or lim
        if set(lim) < {"cpu", "memory"} or any(req.get(k) != lim.get(k) for k in ("cpu", "memory")):
            return "Burstable"
    return "Guaranteed"


def _node_ready(node: Obj | None) -> bool:
    for c in (node or {}).get("status", {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return True


def _cond(kind: str, status: str) -> Obj:
    return {"type": kind, "status": status, "lastTransitionTime": rfc3339(datetime.now(UTC))}


def _invalid(name: str, errs: list[tuple[str, str, str]]) -> ApiError:
    parts = [f"{f}: {what}" + (f": {detail}" if detail else "") for f, what, detail in errs]
    causes = [
        {"reason": "FieldValueInvalid", "message": p, "field": f}
        for p, (f, _, _) in zip(parts, errs, strict=True)
    ]
    return ApiError(
        422,
        "Invalid",
        f'Pod "{name}" is invalid: ' + ", ".join(parts)
        if len(parts) == 1
        else f'Pod "{name}" is invalid: [{", ".join(parts)}]',
        {"name": name, "kind": "Pod", "causes": causes},
    )


def install(server: SimServer) -> PodLife:
    """Register the pod lifecycle routes on `server` (idempotent) and return its knobs."""
    existing = getattr(server, "podlife", None)
    if isinstance(existing, PodLife):
        return existing
    life = PodLife(server)
    r = server.router
    base = "/api/v1/namespaces/{namespace}/pods"
    r.add("POST", base, life.create, verb="create", resource="pods")
    r.add("GET", base + "/{name}/log", life.log, verb="get", resource="pods", subresource="log")
    r.add("DELETE", base + "/{name}", life.delete, verb="delete", resource="pods")
    server.podlife = life  # type: ignore[attr-defined]
    # the collector's default namespace, set up as docs/install.md says: --demo --cgroups works as is
    if server.cluster.get_entry("namespaces", access.NAMESPACE) is None:
        labels = {access.POD_SECURITY_LABEL: access.POD_SECURITY_LEVEL}
        server.cluster.put("namespaces", make_namespace(access.NAMESPACE, labels=labels))
    server.on_stop(life.close)
    return life
