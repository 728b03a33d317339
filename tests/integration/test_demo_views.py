"""`--demo` as a user sees it, in every view, with and without `--cgroups`: nothing a real cluster
could not show (tests/sim/test_sim_invariants.py checks the simulated cluster's own objects and trees;
this checks what the plugin's views make of them), metrics that move between refreshes, and the
demo context's namespace used by every command.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kubelet_rules import kubelet_pod_limit

from kubectl_mem.cli.demo import demo_kubeconfig
from kubectl_mem.cli.env import Env
from kubectl_mem.cli.run import main
from kubectl_mem.kube.config import connect
from kubectl_mem.kube.http import Transport
from kubectl_mem.sim.scenario import DEMO_NAMESPACE

KI = 1 << 10
BACKOFF_CAP = timedelta(minutes=5)
Obj = dict[str, Any]


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), Env(stdout=out, stderr=err, stdout_isatty=False, environ={}))
    return code, out.getvalue(), err.getvalue()


def doc(*args: str) -> Obj:
    code, out, err = run(*args, "-o", "json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def demo() -> Iterator[str]:
    """One --demo cluster for the views (a kubeconfig to it): what `--demo` starts for each command."""
    with demo_kubeconfig() as kubeconfig:
        yield kubeconfig


@pytest.fixture(scope="module")
def demo_pods(demo: str) -> dict[str, Obj]:
    """The pods by namespace/name as the module's --demo cluster serves them. Not a demo_cluster()
    built apart: its CronJob names its pods after the schedule's latest tick (every 20 minutes),
    so one built a moment later across a tick has other pods (a KeyError at hh:01, hh:21, hh:41)."""
    conn = connect(kubeconfig=demo)
    try:
        items = json.loads(Transport(conn).get("/api/v1/pods").body)["items"]
    finally:
        conn.close()
    return {f"{p['metadata']['namespace']}/{p['metadata']['name']}": p for p in items}


def node_problems(nodes: list[Obj]) -> list[str]:
    bad = []
    for n in nodes:
        if n["availableBytes"] is None:
            continue
        if n["availableBytes"] > n["capacityBytes"]:
            bad.append(f"{n['name']}: available {n['availableBytes']} above capacity {n['capacityBytes']}")
        if n["memoryPressure"] != (n["headroomBytes"] < 0):
            bad.append(
                f"{n['name']}: MemoryPressure {n['memoryPressure']} with headroom {n['headroomBytes']}"
            )
        own = n.get("cgroup")
        if own is not None and own["memTotal"] != n["capacityBytes"]:
            bad.append(f"{n['name']}: MemTotal {own['memTotal']}, capacity {n['capacityBytes']}")
    return bad


@pytest.mark.parametrize("cgroups", [False, True], ids=["api", "cgroups"])
def test_nodes_view(demo: str, cgroups: bool) -> None:
    nodes = doc("nodes", "--kubeconfig", demo, *(["--cgroups"] if cgroups else []))["items"]
    assert node_problems(nodes) == []
    assert any(n["memoryPressure"] for n in nodes)
    if cgroups:
        assert {n["availableFrom"] for n in nodes} == {"cgroup"}


def test_nodes_tell_the_same_available_with_and_without_cgroups(demo: str) -> None:
    # two looks a moment apart: the demo's metrics wander a little (sim/live.py) meanwhile
    api = {n["name"]: n for n in doc("nodes", "--kubeconfig", demo)["items"]}
    own = {n["name"]: n for n in doc("nodes", "--kubeconfig", demo, "--cgroups")["items"]}
    for name, n in api.items():
        assert abs(own[name]["availableBytes"] - n["availableBytes"]) < 0.05 * n["capacityBytes"], name


@pytest.mark.parametrize("cgroups", [False, True], ids=["api", "cgroups"])
def test_top_view(demo: str, cgroups: bool, demo_pods: dict[str, Obj]) -> None:
    d = doc("top", "--kubeconfig", demo, "-A", *(["--cgroups"] if cgroups else []))
    assert node_problems(d["nodes"]) == []
    versions = {n["name"]: (n.get("cgroup") or {}).get("cgroupVersion") for n in d["nodes"]}
    now = datetime.now(UTC)
    bad = []
    for item in d["items"]:
        key = f"{item['namespace']}/{item['name']}"
        for c in item["containers"]:
            last = c.get("lastTermination") or {}
            if c["stateReason"] == "CrashLoopBackOff" and last.get("finishedAt"):
                since = now - datetime.fromisoformat(last["finishedAt"].replace("Z", "+00:00"))
                if since > BACKOFF_CAP + timedelta(seconds=30):
                    bad.append(f"{key}/{c['name']}: crash-looping {since} after its last failure")
        if not cgroups:
            continue
        running = [c for c in item["containers"] if c["state"] == "running"]
        for c in running:
            if c["cgroup"] is None:
                bad.append(f"{key}: running {c['kind']} container {c['name']} has no cgroup")
            elif c["limitBytes"] is not None and c["cgroup"]["usage"] > c["limitBytes"]:
                bad.append(f"{key}/{c['name']}: usage {c['cgroup']['usage']} above its limit")
        cg = item["cgroup"]
        if item["phase"] != "Running":
            continue
        if cg is None:
            bad.append(f"{key}: a running pod without a pod cgroup")
            continue
        want = kubelet_pod_limit(demo_pods[key])
        if cg["limit"] != want:
            bad.append(f"{key}: pod cgroup limit {cg['limit']}, the kubelet writes {want}")
        if cg["peak"] is None or cg["peak"] < cg["usage"]:
            bad.append(f"{key}: pod cgroup peak {cg['peak']}, usage {cg['usage']}")
        slice_ = next((q for q in ("burstable", "besteffort") if q in cg["path"]), "guaranteed")
        if slice_ != item["qosClass"].lower():
            bad.append(f"{key}: in the {slice_} slice, QoS class {item['qosClass']}")
        oomed = sum(
            1
            for c in item["containers"]
            if "OOMKilled" in ((c.get("lastTermination") or {}).get("reason", ""), c["stateReason"])
        )
        if versions[item["node"]] == "v1":
            # memory.oom_control is local: the pod's count is unknown, said so, never 0
            if cg["oomKills"] is not None or not (cg["oomKillsNotCounted"] or "").startswith(
                "not counted by cgroup v1"
            ):
                bad.append(f"{key}: on cgroup v1 oomKills {cg['oomKills']} ({cg['oomKillsNotCounted']})")
            continue
        if cg["oomKills"] is None or cg["oomKills"] < oomed or (cg["oomKills"] > 0) != (oomed > 0):
            bad.append(
                f"{key}: the kernel counts {cg['oomKills']} OOM kills, the API shows {oomed} OOMKilled"
            )
    assert bad == []
    if cgroups:  # the demo has a node on each cgroup version
        assert sorted(set(versions.values())) == ["v1", "v2"], versions
    assert any(
        c["kind"] == "sidecar" and c["state"] == "running" for i in d["items"] for c in i["containers"]
    )


def test_explain_tells_the_same_cause_with_cgroups(demo: str, demo_pods: dict[str, Obj]) -> None:
    """Every OOM-killed pod of the demo: the kernel's counters back the API's story, never contradict
    it (before, its pod cgroups counted 0 kills and had no cgroup for a crash-looping pod)."""
    killed = [
        p["metadata"]["name"]
        for key, p in demo_pods.items()
        if key.startswith(DEMO_NAMESPACE + "/")
        and any(
            cs.get("lastState", {}).get("terminated", {}).get("reason") == "OOMKilled"
            for cs in p["status"].get("containerStatuses", [])
        )
    ]
    assert len(killed) >= 2
    for name in killed:
        plain = doc("explain", "--kubeconfig", demo, name)
        kernel = doc("explain", "--kubeconfig", demo, "--cgroups", name)
        assert plain["cause"]["kind"] == kernel["cause"]["kind"] == "container-oom-kill", name
        assert kernel["pods"][0]["cgroup"]["oomKills"] >= 1, name
        assert any("memory.events" in e["source"] for e in kernel["cause"]["evidence"]), name


def test_top_and_explain_use_the_demo_contexts_namespace() -> None:
    items = doc("top", "--demo")["items"]
    assert {i["namespace"] for i in items} == {DEMO_NAMESPACE}
    name = items[0]["name"]
    code, out, err = run("explain", "--demo", name)
    assert code == 0, err
    assert name in out


def test_not_found_names_where_a_pod_of_that_name_is(demo_pods: dict[str, Obj]) -> None:
    elsewhere = next(k for k in demo_pods if k.startswith("kube-system/"))
    name = elsewhere.split("/", 1)[1]
    code, out, err = run("explain", "--demo", name)
    assert code == 4 and out == ""
    assert err == (
        f'error: pod "{name}" not found in namespace "{DEMO_NAMESPACE}"; '
        f"it exists in namespace kube-system (add -n kube-system)\n"
    )
    code, _, err = run("explain", "--demo", "no-such-pod")
    assert code == 4 and err == f'error: pod "no-such-pod" not found in namespace "{DEMO_NAMESPACE}"\n'


@pytest.mark.slow
def test_metrics_move_between_refreshes() -> None:
    """A refresh a few seconds later sees new working sets and a new metrics timestamp (the view's
    sparkline and trend need that), and still nothing impossible."""

    def working_sets(d: Obj) -> dict[tuple[str, str], int]:
        return {(i["namespace"], i["name"]): i["workingSetBytes"] for i in d["items"] if i["workingSetBytes"]}

    with demo_kubeconfig() as kubeconfig:
        first = doc("top", "-A", "--kubeconfig", kubeconfig)
        ws = working_sets(first)
        deadline = time.monotonic() + 60  # the demo's metrics resolution is 5 s
        while True:  # until metrics-server has a new sample
            second = doc("top", "-A", "--kubeconfig", kubeconfig)
            if working_sets(second) != ws or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    moved = [k for k, v in working_sets(second).items() if k in ws and v != ws[k]]
    assert len(moved) > len(ws) // 2
    assert [n["workingSetBytes"] for n in first["nodes"]] != [n["workingSetBytes"] for n in second["nodes"]]
    assert node_problems(second["nodes"]) == []
    for item in second["items"]:
        for c in item["containers"]:
            if c["workingSetBytes"] is not None and c["limitBytes"] is not None:
                assert c["workingSetBytes"] <= c["limitBytes"]
