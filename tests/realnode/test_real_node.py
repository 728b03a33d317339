"""kubectl mem against a real kubelet node (containerd, runc, cgroup v1 on these machines): the
collector pod runs for real, its figures are checked against the kubelet's own Summary API and the
kernel's own files, and nothing of it is left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from typing import Any

import pytest
from nodetest.image import BUSYBOX

from realnode import pods as w
from realnode.conftest import Tier, container_cgroup, kernel_oom_kills, wait_for

pytestmark = pytest.mark.realnode

COLLECT = ("--image", BUSYBOX, "--collector-namespace", w.NAMESPACE)


def cgroups_json(t: Tier) -> dict[str, Any]:
    r = t.mem("cgroups", f"node/{t.name}", "-o", "json", *COLLECT)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert t.collector_pods() == [], "a collector pod was left after a successful run"
    return doc


def pods_by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    [item] = doc["items"]
    return {p["pod"]: p for p in item["pods"]}


def container(p: dict[str, Any], name: str) -> dict[str, Any]:
    [c] = [c for c in p["containers"] if c["name"] == name]
    return c


def is_v1(doc: dict[str, Any]) -> bool:
    return doc["items"][0]["cgroupVersion"] in ("v1", "hybrid")


def test_working_sets_agree_with_the_kubelets_summary_api(real_node: Tier) -> None:
    """The collector's working set (usage - inactive_file, as cAdvisor computes it) is within 10% of
    what the kubelet's /stats/summary says, for the pods whose memory holds still, and the node's
    memory.available too."""
    steady = [f"{w.NAMESPACE}/{w.PAGE_CACHE}", f"{w.NAMESPACE}/{w.TMPFS}"]

    def kubelet_summary() -> dict[str, Any]:
        return real_node.node.kubelet_get("/stats/summary")

    def has_figures() -> bool:  # cAdvisor's first housekeeping of a new pod can take ~10-15 s
        pods = {f"{p['podRef']['namespace']}/{p['podRef']['name']}": p for p in kubelet_summary()["pods"]}
        return all((pods.get(k) or {}).get("memory", {}).get("workingSetBytes") for k in steady)

    wait_for("the kubelet's Summary API to have the pods' working sets", has_figures, timeout=60)
    doc = cgroups_json(real_node)
    summary = kubelet_summary()
    ours = pods_by_name(doc)
    theirs = {f"{p['podRef']['namespace']}/{p['podRef']['name']}": p for p in summary["pods"]}
    for name, container_name in ((w.PAGE_CACHE, "cache"), (w.TMPFS, "shm")):
        key = f"{w.NAMESPACE}/{name}"
        mine, kubelet = ours[key], theirs[key]
        assert mine["memory"]["workingSet"] == pytest.approx(kubelet["memory"]["workingSetBytes"], rel=0.10)
        [kc] = [c for c in kubelet["containers"] if c["name"] == container_name]
        got = container(mine, container_name)["memory"]["workingSet"]
        assert got == pytest.approx(kc["memory"]["workingSetBytes"], rel=0.10)
    # the tmpfs file is shmem: in the working set, never reclaimable
    shm = container(ours[f"{w.NAMESPACE}/{w.TMPFS}"], "shm")["memory"]
    assert shm["shmem"] >= w.TMPFS_FILE and shm["workingSet"] >= w.TMPFS_FILE
    assert shm["unreclaimable"] >= w.TMPFS_FILE
    # the page cache file is reclaimable, and (read twice: active) still in the working set
    cache = container(ours[f"{w.NAMESPACE}/{w.PAGE_CACHE}"], "cache")["memory"]
    assert cache["reclaimable"] >= w.PAGE_CACHE_FILE * 0.9 and cache["unreclaimable"] < 8 * 1024 * 1024
    node = doc["items"][0]
    assert node["memoryAvailable"] == pytest.approx(summary["node"]["memory"]["availableBytes"], rel=0.10)


def test_oom_kills_as_the_kernel_counts_them(real_node: Tier) -> None:
    """v1: memory.oom_control counts a kill only in the killed process's own cgroup. The container
    that lives on while its children are killed shows them; the pod's count is not counted (null
    with the reason), never 0. v2: the pod's memory.events counts every kill since the pod started."""
    doc = cgroups_json(real_node)
    pods = pods_by_name(doc)
    inner = pods[f"{w.NAMESPACE}/{w.OOM_INNER}"]
    loop = pods[f"{w.NAMESPACE}/{w.OOM_LOOP}"]
    parent = container(inner, "parent")["memory"]
    kernel = kernel_oom_kills(container_cgroup(real_node.pod(w.OOM_INNER), "parent"))
    assert parent["oomKills"] == kernel == 3
    restarts = real_node.pod(w.OOM_LOOP)["status"]["containerStatuses"][0]["restartCount"]
    assert restarts >= 2
    if is_v1(doc):
        assert parent["oomKillsFile"] == "memory.oom_control" and parent["oomKillsScope"] == "cgroup"
        for p in (inner, loop):
            assert p["memory"]["oomKills"] is None
            assert "cgroup v1" in p["memory"]["oomKillsNotCounted"]
    else:
        assert parent["oomKillsFile"] == "memory.events"
        assert inner["memory"]["oomKills"] >= 3 and inner["memory"]["oomKillsScope"] == "subtree"
        assert loop["memory"]["oomKills"] >= restarts


def _back_off(t: Tier) -> tuple[int, str] | None:
    """(restartCount, the exited container's ID) while the API says the OOM loop's container waits
    in CrashLoopBackOff, else None."""
    cs = t.pod(w.OOM_LOOP)["status"]["containerStatuses"][0]
    if (cs["state"].get("waiting") or {}).get("reason") != "CrashLoopBackOff":
        return None
    return cs["restartCount"], cs.get("containerID", "")


def test_a_container_in_back_off_is_shown_not_running(real_node: Tier) -> None:
    """Every container of every pod on the node has a row; the OOM loop's container, between two
    restarts, has no cgroup (runc removed it) and is shown as not running with the API's reason.

    A collection counts when the API says the same back-off (same restart count, same exited
    container) just before and just after it: the container waited the whole time, so the
    collector read the tree and kubectl-mem listed the pod while it had no cgroup. One the
    container restarted during proves nothing; the kubelet doubles the back-off (10 s, 20 s, 40 s
    ... 5 min), so the next window is twice as long."""
    caught = None
    for _ in range(6):
        wait_for("the OOM loop in back-off", lambda: _back_off(real_node) is not None, timeout=120)
        before = _back_off(real_node)
        doc = cgroups_json(real_node)
        after = _back_off(real_node)
        pods = pods_by_name(doc)
        for name in (w.OOM_LOOP, w.OOM_INNER, w.PAGE_CACHE, w.TMPFS):
            names = {c["name"] for c in pods[f"{w.NAMESPACE}/{name}"]["containers"]}
            want = {c["name"] for c in real_node.pod(name)["spec"]["containers"]}
            assert want <= names, f"{name}: containers missing from the output: {want - names}"
        if before is not None and before == after:
            caught = container(pods[f"{w.NAMESPACE}/{w.OOM_LOOP}"], "hog")
            break
    assert caught is not None, "the OOM loop never stayed in back-off for a whole collection (6 tries)"
    assert caught["running"] is False, caught
    assert caught["memory"] is None
    assert caught["state"] == "CrashLoopBackOff"
    table = real_node.mem("cgroups", f"node/{real_node.name}", *COLLECT)
    assert table.returncode == 0, table.stderr
    hog_rows = [
        line for line in table.stdout.splitlines() if f"{w.NAMESPACE}/{w.OOM_LOOP}" in line and "hog" in line
    ]
    assert len(hog_rows) == 1, table.stdout


def test_explain_tells_the_oom_story_of_the_node(real_node: Tier) -> None:
    """explain --cgroups on the OOM loop: OOMKilled at its limit, and on v1 it says the pod's kills
    are not counted by cgroup v1 and names memory.oom_control, never memory.events and never "0
    OOM kills". On the pod whose children were killed: kills the API never saw."""
    r = real_node.mem("explain", f"pod/{w.OOM_LOOP}", "-n", w.NAMESPACE, "--cgroups", *COLLECT)
    # 3: partial, since this cluster serves no metrics API (said on stderr); the kernel's figures are there
    assert r.returncode == 3 and "metrics.k8s.io" in r.stderr and "cgroups" not in r.stderr, r.stderr
    out = " ".join(r.stdout.split())  # the text is wrapped to the terminal's width
    assert "OOMKilled" in out and "48Mi" in out
    v1 = (container_cgroup(real_node.pod(w.OOM_INNER), "parent") / "memory.oom_control").exists()
    if v1:
        assert "memory.events" not in out
        assert "not counted by cgroup v1" in out
        assert "0 OOM kills" not in out and "oom_kill 0" not in out
    r = real_node.mem("explain", f"pod/{w.OOM_INNER}", "-n", w.NAMESPACE, "--cgroups", *COLLECT)
    assert r.returncode == 3, r.stderr
    out = " ".join(r.stdout.split())
    assert "OOM-killed 3 processes in parent" in out, r.stdout
    assert ("memory.oom_control: oom_kill 3" if v1 else "memory.events: oom_kill 3") in out
    assert real_node.collector_pods() == []


def test_no_collector_pod_left_after_a_failure(real_node: Tier) -> None:
    """An image the kubelet cannot use (an invalid reference: no registry is asked) fails the node
    with exit 3 (partial) or 1 and a one-line error; the pod is deleted."""
    r = real_node.mem("cgroups", f"node/{real_node.name}", "--image", "kubectl-mem.test/No_Such:1",
                      "--collector-namespace", w.NAMESPACE)  # fmt: skip
    assert r.returncode != 0
    assert "cannot pull the collector image" in r.stderr and "InvalidImageName" in r.stderr, r.stderr
    assert real_node.collector_pods() == []


def _frozen_containerd(t: Tier):  # type: ignore[no-untyped-def]
    """containerd stopped with SIGSTOP (by PID: the node's own): the kubelet cannot start pods, so
    a collector pod stays Pending. SIGCONT on exit."""
    assert t.node.containerd is not None and t.node.containerd.proc is not None
    pid = t.node.containerd.proc.pid

    class Frozen:
        def __enter__(self) -> None:
            os.kill(pid, signal.SIGSTOP)

        def __exit__(self, *exc: object) -> None:
            os.kill(pid, signal.SIGCONT)

    return Frozen()


def test_no_collector_pod_left_after_a_pending_timeout(real_node: Tier) -> None:
    with _frozen_containerd(real_node):
        r = real_node.mem("cgroups", f"node/{real_node.name}", *COLLECT, "--pending-timeout", "2")
        assert real_node.collector_pods() == []
    assert r.returncode != 0
    assert "stayed Pending for more than 2s" in r.stderr, r.stderr


def test_no_collector_pod_left_after_sigint(real_node: Tier) -> None:
    """Ctrl-C while the collector pod exists: the terminal sends SIGINT to kubectl and kubectl-mem
    (one process group); the pod is deleted before the command exits."""
    with _frozen_containerd(real_node):
        proc = subprocess.Popen(
            real_node.mem_args("cgroups", f"node/{real_node.name}", *COLLECT),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            wait_for("the collector pod", lambda: bool(real_node.collector_pods()), timeout=30)
            os.killpg(proc.pid, signal.SIGINT)
            _out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        assert real_node.collector_pods() == []
    assert proc.returncode == 130, err
