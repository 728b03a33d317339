"""The collector pods through the simulated cluster, with the real client: life, settings, failures,
and that no pod is left behind."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from podsim_helpers import PodSim, interrupt_mid_collection

from kubectl_mem.kube.cgroup_dir import collector_script
from kubectl_mem.kube.collector import (
    ACTIVE_DEADLINE_S,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    RUN_ID_LABEL,
    Collector,
)
from kubectl_mem.kube.config import connect
from kubectl_mem.kube.http import Transport
from kubectl_mem.report.document import API_VERSION
from kubectl_mem.sim import Rule, make_pod
from kubectl_mem.sim.cluster import rfc3339


def _collector(ps: PodSim, **kw: object) -> Collector:
    conn = connect(kubeconfig=str(ps.kubeconfig))
    return Collector(Transport(conn, sleep=lambda s: None), "default", **kw)  # type: ignore[arg-type]


def test_whole_life_pending_running_succeeded_with_log(podsim: PodSim) -> None:
    podsim.life.step_s = 0.3
    c = _collector(podsim, poll_interval=0.05)
    r = c.collect_node(podsim.node)
    assert r.error is None, r.error
    assert r.phases == ["Pending", "Running", "Succeeded"]
    snap = r.snapshot
    assert snap is not None and not snap.truncated and snap.cgroup_version == "v2"
    assert snap.node is not None and snap.node.available is not None
    # every running pod of the node is found by UID, its containers by the IDs in its status
    found = 0
    for pod in podsim.node_pods():
        statuses = pod["status"].get("containerStatuses") or []
        if pod["status"].get("phase") != "Running" or not statuses:
            continue
        pc = snap.pod(pod["metadata"]["uid"])
        assert pc is not None, pod["metadata"]["name"]
        for cs in statuses:
            if "running" in cs["state"]:
                cg = pc.container(cs["containerID"])
                assert cg is not None
                usage = podsim.srv.cluster.pod_usage(pod["metadata"]["namespace"], pod["metadata"]["name"])
                assert usage is not None
                assert cg.breakdown.working_set == usage[0][cs["name"]].working_set
        found += 1
    assert found >= 2
    assert podsim.collector_pods() == []
    assert [d[2] for d in podsim.life.deletes] == ["0"]


def test_the_pod_it_creates_is_locked_down(podsim: PodSim) -> None:
    r = podsim.run(
        f"node/{podsim.node}", "--image", "registry.example/sh:1", "--collector-namespace", "kube-system"
    )
    assert r.code == 0, r.err
    (pod,) = podsim.life.created
    md, spec = pod["metadata"], pod["spec"]
    assert md["generateName"] == "kubectl-mem-cgroups-" and "name" not in md
    assert md["labels"][MANAGED_BY_LABEL] == MANAGED_BY and len(md["labels"][RUN_ID_LABEL]) == 36
    assert spec["nodeName"] == podsim.node
    assert spec["tolerations"] == [{"operator": "Exists"}]
    assert spec["restartPolicy"] == "Never"
    assert spec["activeDeadlineSeconds"] == ACTIVE_DEADLINE_S
    assert spec["terminationGracePeriodSeconds"] == 0
    assert spec["automountServiceAccountToken"] is False
    assert spec["enableServiceLinks"] is False
    assert spec["hostPID"] is False and spec["hostNetwork"] is False and spec["hostIPC"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 65534
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert "priorityClassName" not in spec and "serviceAccountName" not in spec
    (ctr,) = spec["containers"]
    assert ctr["image"] == "registry.example/sh:1"
    assert ctr["command"] == ["/bin/sh", "-c", collector_script()]
    assert "args" not in ctr
    assert ctr["resources"]["requests"] == ctr["resources"]["limits"] == {"cpu": "100m", "memory": "32Mi"}
    sc = ctr["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["privileged"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert ctr["volumeMounts"] == [{"name": "cg", "mountPath": "/host/sys/fs/cgroup", "readOnly": True}]
    assert spec["volumes"] == [{"name": "cg", "hostPath": {"path": "/sys/fs/cgroup", "type": "Directory"}}]
    posts = [q for q in podsim.srv.requests if q.method == "POST"]
    assert [q.path for q in posts] == ["/api/v1/namespaces/kube-system/pods"]
    assert podsim.collector_pods() == []


def test_table_and_json_reports(podsim: PodSim) -> None:
    r = podsim.run(f"node/{podsim.node}")
    assert r.code == 0, r.err
    assert r.out.startswith(f"node {podsim.node}: memory.available ")
    assert "RECLAIMABLE" in r.out and "OOM-KILLS" in r.out and "PSI10" in r.out
    running = [p for p in podsim.node_pods() if p["status"].get("phase") == "Running"]
    name = f"{running[0]['metadata']['namespace']}/{running[0]['metadata']['name']}"
    assert name in r.out
    j = podsim.run(f"node/{podsim.node}", "-o", "json")
    assert j.code == 0, j.err
    doc = json.loads(j.out)
    assert doc["apiVersion"] == API_VERSION and doc["kind"] == "CgroupMemoryList"
    (item,) = doc["items"]
    assert item["source"] == "cgroups" and item["node"] == podsim.node
    assert item["memoryAvailable"] == item["memTotal"] - item["rootWorkingSet"]
    pod = next(p for p in item["pods"] if p["pod"] == name)
    m = pod["memory"]
    assert m["workingSet"] == m["usage"] - m["inactiveFile"]
    assert {
        "anon",
        "file",
        "shmem",
        "kernel",
        "sock",
        "reclaimable",
        "unreclaimable",
        "oomKills",
        "peak",
        "psi",
    } <= set(m)
    assert pod["containers"] and pod["containers"][0]["name"]
    # every row names a pod of the node: none is the collector's own (a bare UID nobody can look up)
    listed = {f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in podsim.node_pods()}
    assert {p["pod"] for p in item["pods"]} <= listed
    assert podsim.collector_pods() == []


def test_pod_target(podsim: PodSim) -> None:
    running = next(p for p in podsim.node_pods() if p["status"].get("phase") == "Running")
    ns, name = running["metadata"]["namespace"], running["metadata"]["name"]
    r = podsim.run(f"pod/{name}", "-n", ns, "--collector-namespace", "default")
    assert r.code == 0, r.err
    lines = r.out.splitlines()[2:]
    assert lines and all(f"{ns}/{name}" in line for line in lines)
    assert podsim.run("pod/nope", "-n", ns).code == 4


@pytest.mark.parametrize("level", ["baseline", "restricted"])
def test_pod_security_rejects(podsim: PodSim, level: str) -> None:
    podsim.life.psa["kubectl-mem"] = level  # the default collector namespace
    r = podsim.run(f"node/{podsim.node}")
    assert r.code == 1
    assert f'namespace "kubectl-mem" rejects the collector pod: Pod Security level "{level}"' in r.err
    assert 'needs level "privileged"' in r.err and "--collector-namespace" in r.err
    assert r.err.count("\n") == 1
    assert podsim.collector_pods() == []


def test_psa_message_is_the_apiservers(podsim: PodSim) -> None:
    podsim.life.psa["default"] = "baseline"
    c = _collector(podsim)
    with pytest.raises(Exception) as exc:
        c.t.post("/api/v1/namespaces/default/pods", json.dumps(_pod_body(podsim.node)).encode())
    assert 'pods "kubectl-mem-cgroups-' in str(exc.value)
    assert 'is forbidden: violates PodSecurity "baseline:latest": hostPath volumes (volume "cg")' in str(
        exc.value
    )


def _pod_body(node: str) -> dict:
    from kubectl_mem.kube.collector import collector_pod

    return collector_pod(node, image="busybox:1.36", run_id="x", script="true")


def test_no_rbac_falls_back_to_the_summary_api(podsim: PodSim, tmp_path) -> None:
    podsim.srv.auth.add_user(
        "viewer", "viewer", [Rule(verbs=("get", "list"), resources=("pods", "nodes", "nodes/proxy"))]
    )
    kc = podsim.srv.write_kubeconfig(tmp_path / "kc", token="viewer")
    r = podsim.run(f"node/{podsim.node}", kubeconfig=kc)
    assert r.code == 3, r.err
    assert (
        'not allowed to create pods in namespace "kubectl-mem" '
        "(RBAC: needs create, get, list and delete pods and get pods/log)" in r.err
    )
    assert "falling back to the kubelet Summary API" in r.err and "OOM kills" in r.err
    assert [line.split(":")[0] for line in r.err.splitlines()] == ["warning"]  # used: no error
    assert f"node {podsim.node} (kubelet Summary API): working set" in r.out
    assert podsim.life.created == []
    j = json.loads(podsim.run(f"node/{podsim.node}", "-o", "json", kubeconfig=kc).out)
    assert j["items"][0]["source"] == "summary" and j["items"][0]["summary"]["node"]["memory"]


NO_CREATE = (
    'not allowed to create pods in namespace "kubectl-mem" '
    "(RBAC: needs create, get, list and delete pods and get pods/log)"
)


def test_no_rbac_and_no_proxy(podsim: PodSim, tmp_path) -> None:
    """Nothing to show: one error line with both reasons, and no word of a fallback that failed."""
    podsim.srv.auth.add_user("v2", "v2", [Rule(verbs=("get", "list"), resources=("pods", "nodes"))])
    r = podsim.run(f"node/{podsim.node}", kubeconfig=podsim.srv.write_kubeconfig(tmp_path / "kc", token="v2"))
    assert r.code == 1 and r.out == ""
    assert r.err == (f"error: {NO_CREATE}; no Summary API fallback either: it needs get nodes/proxy\n")


def test_no_rbac_and_the_summary_api_failing(podsim: PodSim, tmp_path) -> None:
    podsim.srv.auth.add_user(
        "viewer", "viewer", [Rule(verbs=("get", "list"), resources=("pods", "nodes", "nodes/proxy"))]
    )
    podsim.srv.faults.fail(100, status=500, path_prefix=f"/api/v1/nodes/{podsim.node}/proxy/stats/summary")
    r = podsim.run(
        f"node/{podsim.node}", kubeconfig=podsim.srv.write_kubeconfig(tmp_path / "kc", token="viewer")
    )
    assert r.code == 1 and r.out == ""
    [line] = r.err.splitlines()
    assert line.startswith(f'error: {NO_CREATE}; node "{podsim.node}": Summary API: ')
    assert "falling back" not in r.err


def test_image_cannot_be_pulled(podsim: PodSim) -> None:
    podsim.life.image_pull_error = True
    r = podsim.run(f"node/{podsim.node}", "--image", "nosuch/image:0")
    assert r.code == 1
    head = f'node "{podsim.node}" cannot pull the collector image "nosuch/image:0"'
    assert f"{head} (ErrImagePull)" in r.err or f"{head} (ImagePullBackOff)" in r.err
    assert "--image" in r.err
    assert podsim.collector_pods() == []


def test_node_not_ready(podsim: PodSim) -> None:
    node = podsim.srv.cluster.get("nodes", podsim.node)
    assert node is not None
    node = json.loads(json.dumps(node))
    for c in node["status"]["conditions"]:
        if c["type"] == "Ready":
            c["status"] = "Unknown"
    podsim.srv.cluster.put("nodes", node)
    r = podsim.run(f"node/{podsim.node}")
    assert r.code == 1
    assert f'node "{podsim.node}" is NotReady' in r.err
    assert podsim.life.created == [] and podsim.collector_pods() == []


def test_node_gone(podsim: PodSim) -> None:
    r = podsim.run("node/node-99")
    assert r.code == 1 and 'node "node-99" not found' in r.err
    assert podsim.collector_pods() == []


def test_pod_gc_deletes_a_pod_bound_to_a_missing_node(podsim: PodSim) -> None:
    # the apiserver accepts any valid nodeName; the pod GC removes the orphan later
    podsim.life.orphan_gc_s = 0.2
    c = _collector(podsim, poll_interval=0.05)
    c._check_node = lambda node: None  # type: ignore[method-assign]  # the node vanished after the check
    r = c.collect_node("node-99")
    assert r.kind == "node" and "was deleted before it ran (node gone?)" in (r.error or "")
    assert podsim.collector_pods() == []


def test_stuck_pending_times_out(podsim: PodSim) -> None:
    podsim.life.not_ready.add(podsim.node)
    t0 = time.monotonic()
    r = podsim.run(f"node/{podsim.node}", "--pending-timeout", "0.5")
    assert time.monotonic() - t0 < 60  # gave up on its --pending-timeout, not the default 60 s
    assert r.code == 1
    assert f'the collector pod on node "{podsim.node}" stayed Pending for more than 0.5s' in r.err
    assert podsim.collector_pods() == []


@pytest.mark.parametrize("status", [400, 500])
def test_log_unreadable(podsim: PodSim, status: int) -> None:
    podsim.life.log_status = status
    c = _collector(podsim, poll_interval=0.02)
    r = c.collect_node(podsim.node)
    assert r.kind == "log"
    assert f'cannot read the log of the collector pod on node "{podsim.node}"' in (r.error or "")
    assert podsim.collector_pods() == []
    if status == 400:
        cli = podsim.run(f"node/{podsim.node}")
        assert cli.code == 1 and "cannot read the log" in cli.err
        assert podsim.collector_pods() == []


def test_truncated_output_parses_what_is_whole(podsim: PodSim) -> None:
    full = podsim.life.collector_output(podsim.node)
    podsim.life.truncate_log = len(full) * 2 // 3
    r = podsim.run(f"node/{podsim.node}")
    assert r.code == 3
    assert f'the collector output of node "{podsim.node}" was truncated' in r.err
    assert "pods parsed, the rest is missing" in r.err
    assert "(pod)" in r.out
    assert podsim.collector_pods() == []


def test_garbled_output(podsim: PodSim) -> None:
    podsim.life.truncate_log = 0
    r = podsim.run(f"node/{podsim.node}")
    assert r.code in (1, 3)
    assert "could not be parsed" in r.err or "truncated" in r.err
    assert podsim.collector_pods() == []


def test_deadline_exceeded(podsim: PodSim) -> None:
    podsim.life.deadline_exceeded = True
    r = podsim.run(f"node/{podsim.node}")
    assert r.code == 1
    assert f'the collector pod on node "{podsim.node}" exceeded its deadline ({ACTIVE_DEADLINE_S}s)' in r.err
    assert podsim.collector_pods() == []


def test_stale_pods_of_earlier_runs_are_swept(podsim: PodSim) -> None:
    labels = {MANAGED_BY_LABEL: MANAGED_BY, RUN_ID_LABEL: "old"}
    old = make_pod("kubectl-mem-cgroups-old00", "kubectl-mem", podsim.node, labels=labels)
    old["metadata"]["creationTimestamp"] = rfc3339(datetime.now(UTC) - timedelta(hours=1))
    young = make_pod("kubectl-mem-cgroups-young", "kubectl-mem", podsim.node, labels=labels)
    young["metadata"]["creationTimestamp"] = rfc3339(datetime.now(UTC) - timedelta(seconds=30))
    podsim.srv.cluster.add_pod(old)
    podsim.srv.cluster.add_pod(young)
    r = podsim.run(f"node/{podsim.node}")
    assert r.code == 0, r.err
    assert "deleted stale collector pod kubectl-mem-cgroups-old00" in r.err
    assert [p["metadata"]["name"] for p in podsim.collector_pods()] == ["kubectl-mem-cgroups-young"]


def test_several_nodes_concurrently_one_failing(podsim: PodSim) -> None:
    podsim.life.not_ready.add("node-2")
    nodes = [n["metadata"]["name"] for n in podsim.srv.cluster.list("nodes")]
    c = _collector(podsim, concurrency=3, pending_timeout=2, poll_interval=0.05)  # healthy ones start
    results = c.collect(nodes)
    assert [r.node for r in results] == nodes
    bad = [r for r in results if r.error]
    assert [r.node for r in bad] == ["node-2"] and bad[0].kind == "pending"
    assert all(r.snapshot is not None and r.snapshot.pods for r in results if not r.error)
    assert podsim.collector_pods() == []


def test_namespace_must_exist(podsim: PodSim) -> None:
    r = podsim.run(f"node/{podsim.node}", "--collector-namespace", "nope")
    assert r.code == 1
    assert r.err == (
        'error: the collector namespace "nope" does not exist: create it with "kubectl create namespace nope '
        '&& kubectl label namespace nope pod-security.kubernetes.io/enforce=privileged" (docs/install.md), '
        "or name another with --collector-namespace\n"
    )
    assert podsim.life.created == []


def test_the_collector_runs_in_the_kubectl_mem_namespace_by_default(podsim: PodSim) -> None:
    r = podsim.run(f"node/{podsim.node}")
    assert r.code == 0, r.err
    posts = [q.path for q in podsim.srv.requests if q.method == "POST"]
    assert posts == ["/api/v1/namespaces/kubectl-mem/pods"]
    assert [d[0] for d in podsim.life.deletes] == ["kubectl-mem"]
    assert podsim.collector_pods() == []


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_run_leaves_no_pod(podsim: PodSim, sig: int, code: int) -> None:
    podsim.life.step_s = 1.0  # long enough to interrupt while the pod is there
    done = interrupt_mid_collection(podsim, ["cgroups", f"node/{podsim.node}"], sig)
    assert done.returncode == code, done.stderr
    c = _collector(podsim)
    listed = json.loads(
        c.t.get(
            "/api/v1/namespaces/kubectl-mem/pods", [("labelSelector", f"{MANAGED_BY_LABEL}={MANAGED_BY}")]
        ).body
    )
    assert listed["items"] == []
    assert any(d[1].startswith("kubectl-mem-cgroups-") for d in podsim.life.deletes)


def test_from_dir_needs_no_cluster(podsim: PodSim, tmp_path) -> None:
    from kubectl_mem.sim.cgtree import Layout, build_node, make_pods

    build_node(tmp_path / "cg", Layout(), make_pods(3, 2))
    r = podsim.run("node/copied", "--from-dir", str(tmp_path / "cg"), "-o", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert len(doc["items"][0]["pods"]) == 3 and doc["items"][0]["memoryAvailable"] > 0
    assert podsim.life.created == []


def _no_delete(ps: PodSim, tmp_path, *also: str) -> object:
    """A user who may do all the collector does (and read `also`) but delete pods."""
    ps.srv.auth.add_user(
        "nodelete",
        "nodelete",
        [
            Rule(verbs=("create", "get", "list"), resources=("pods",)),
            Rule(verbs=("get",), resources=("pods/log",)),
            Rule(verbs=("get", "list"), resources=("nodes", *also)),
        ],
    )
    return ps.srv.write_kubeconfig(tmp_path / "kc", token="nodelete")


def test_a_pod_it_cannot_delete_is_said_with_the_command_that_deletes_it(podsim: PodSim, tmp_path) -> None:
    r = podsim.run(f"node/{podsim.node}", kubeconfig=_no_delete(podsim, tmp_path))
    assert r.code == 3, r.err  # the breakdown is shown, but a pod stays behind
    assert f"node {podsim.node}" in r.out
    [left] = podsim.collector_pods()
    name = left["metadata"]["name"]
    assert r.err.splitlines() == [
        f"warning: could not delete the collector pod kubectl-mem/{name} "
        f'(pods "{name}" is forbidden: User "nodelete" cannot delete resource "pods" in API group "" in the '
        f'namespace "kubectl-mem"): it stays until deleted with: kubectl delete pod -n kubectl-mem {name}'
    ]
    podsim.srv.cluster.delete("pods", name, "kubectl-mem")


def test_top_says_each_pod_it_cannot_delete(podsim: PodSim, tmp_path) -> None:
    from kubectl_mem.cli.env import Env
    from kubectl_mem.cli.run import main

    kc = _no_delete(podsim, tmp_path, "pods.metrics.k8s.io", "nodes.metrics.k8s.io")
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["top", "-A", "--cgroups", "--kubeconfig", str(kc)],
        Env(stdout=out, stderr=err, stdout_isatty=False, environ={}),
    )
    left = sorted(p["metadata"]["name"] for p in podsim.collector_pods())
    assert len(left) == len(podsim.srv.cluster.list("nodes"))  # one per node, none deleted
    said = re.findall(
        r"^warning: could not delete the collector pod kubectl-mem/(\S+) \(.*\): it stays until deleted "
        r"with: kubectl delete pod -n kubectl-mem (\S+)$",
        err.getvalue(),
        re.MULTILINE,
    )
    assert sorted(said) == [(n, n) for n in left]
    assert code == 3 and out.getvalue()  # shown, but partial
    for n in left:
        podsim.srv.cluster.delete("pods", n, "kubectl-mem")


def test_stopping_the_sim_ends_a_collection_in_progress(
    podsim: PodSim, private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo ends (its sim server stops) while a collector pod's script still runs on the node's
    cgroup tree: stop() kills the script and removes the tree before it returns, however long the
    script would have taken. (It waited 10 s and returned with the thread still inside its
    TemporaryDirectory; under load the interpreter's exit then removed the tree under that thread:
    'OSError: Directory not empty' printed after the command's last line.)"""
    from kubectl_mem.sim import podlife

    real_popen = subprocess.Popen
    scripts: list[subprocess.Popen[bytes]] = []

    def never_ending(args: list[str], **kw: object) -> subprocess.Popen[bytes]:
        proc = real_popen(["sleep", "3600"], **kw)  # type: ignore[call-overload]
        scripts.append(proc)
        return proc

    monkeypatch.setattr(podlife.subprocess, "Popen", never_ending)
    c = _collector(podsim)
    pod = {
        "metadata": {"generateName": "kubectl-mem-cgroups-"},
        "spec": {"nodeName": podsim.node, "containers": [{"name": "collect", "image": "busybox:1.36"}]},
    }
    try:
        c.t.post("/api/v1/namespaces/kubectl-mem/pods", json.dumps(pod).encode())
        deadline = time.monotonic() + 60
        while not scripts:
            assert time.monotonic() < deadline, "the collector script never started"
            time.sleep(0.01)
        assert [n for n in os.listdir(private_tmp) if n.startswith("sim-cgroup-")]
        podsim.srv.stop()
        assert scripts[0].poll() is not None, "the collector script still runs"
        assert not [n for n in os.listdir(private_tmp) if n.startswith("sim-cgroup-")]
        assert not [t for t in threading.enumerate() if t.name.startswith("sim-pod-")]
    finally:
        for proc in scripts:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
