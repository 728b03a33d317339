"""`top`, `nodes` and `explain` with `--cgroups`, through the simulated cluster with the collector pod
lifecycle installed: the real client over HTTP, the real collector script run against each node's
synthetic cgroup tree. The numbers shown must be the tree's (the sim builds each container's cgroup
from `cluster.pod_usage`: working set = usage - inactive_file, anon = rss), failures must leave the
rest shown with exit code 3, and no collector pod may be left behind."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import signal
from pathlib import Path
from typing import Any

import pytest
from json_keys import json_keys
from podsim_helpers import PodSim, Run, interrupt_mid_collection

from kubectl_mem.cli.env import Env
from kubectl_mem.cli.run import main
from kubectl_mem.model.quantity import format_bytes, memory_bytes
from kubectl_mem.model.recommend import q
from kubectl_mem.report.fmt import size
from kubectl_mem.sim import Rule
from kubectl_mem.sim import podlife as podlife_module

OVERHEAD = 512 * 1024  # the sim's pod overhead: its pause container, half of it anon (sim/kernel.py)
SANDBOX_ANON = OVERHEAD // 2
DOCS = Path(__file__).parents[2] / "docs"


def run(ps: PodSim, *args: str, kubeconfig: Path | None = None) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [*args, "--kubeconfig", str(kubeconfig or ps.kubeconfig)],
        Env(stdout=out, stderr=err, stdout_isatty=False, environ={}),
    )
    return Run(code, out.getvalue(), err.getvalue())


def table(text: str) -> list[dict[str, str]]:
    """A kubectl-style table as dicts by header (cells are separated by two or more blanks)."""
    lines = [line for line in text.splitlines() if line.strip()]
    head = re.split(r"\s{2,}", lines[0].strip())
    rows = []
    for line in lines[1:]:
        cells = re.split(r"\s{2,}", line.strip())
        assert len(cells) == len(head), line
        rows.append(dict(zip(head, cells, strict=True)))
    return rows


def expected(ps: PodSim) -> dict[str, dict[str, Any]]:
    """What each fully-modelled running pod's cgroups hold, from the sim's own usage: pods whose
    containers are all running regular containers with usage (podlife builds exactly those)."""
    out = {}
    for pod in ps.srv.cluster.list("pods"):
        st = pod["status"]
        statuses = st.get("containerStatuses") or []
        if st.get("phase") != "Running" or st.get("initContainerStatuses") or not statuses:
            continue
        if not all("running" in cs["state"] for cs in statuses):
            continue
        md = pod["metadata"]
        usage = ps.srv.cluster.pod_usage(md["namespace"], md["name"])
        if usage is None or set(usage[0]) != {cs["name"] for cs in statuses}:
            continue
        limits = {
            c["name"]: (c.get("resources", {}).get("limits") or {}).get("memory")
            for c in pod["spec"]["containers"]
        }
        containers = {}
        for name, u in usage[0].items():
            f = u.filled()
            limit = memory_bytes(limits[name]) if limits.get(name) else None
            # the kernel holds memory.current under memory.max by reclaiming inactive cache
            over = max(0, f.usage - limit) if limit is not None else 0
            current = f.usage - min(over, f.usage - f.working_set)
            peak = current + 2 * 1024 * 1024  # podlife: usage + 2Mi, never above the limit
            containers[name] = {
                "workingSet": f.working_set,
                "anon": min(f.rss, f.working_set),
                "usage": current,
                "peak": peak if limit is None else min(peak, limit),
                "limit": limit,
            }
        # and the pod cgroup (the sum of the limits, when all have one) holds its containers and the
        # pause container: their inactive cache goes first, in the containers' order
        pod_limit = sum(c["limit"] for c in containers.values()) if all(limits.values()) else None
        if pod_limit is not None:
            over = sum(c["usage"] for c in containers.values()) + OVERHEAD - pod_limit
            for c in containers.values():
                take = max(0, min(over, c["usage"] - c["workingSet"]))
                c["usage"] -= take
                over -= take
        out[f"{md['namespace']}/{md['name']}"] = {
            "node": pod["spec"]["nodeName"],
            "uid": md["uid"],
            "containers": containers,
            "anon": sum(c["anon"] for c in containers.values()) + SANDBOX_ANON,
            "workingSet": sum(c["workingSet"] for c in containers.values()) + OVERHEAD,
            # cgroup v2 (the sim's default): the pod's memory.events counts the kills of the
            # instances its containers restarted from, which the API records as OOMKilled
            "oomKills": sum(
                cs["restartCount"]
                for cs in statuses
                if cs.get("lastState", {}).get("terminated", {}).get("reason") == "OOMKilled"
            ),
        }
    assert len(out) >= 10
    return out


# -- top ---------------------------------------------------------------------------------------


def test_top_table_shows_the_kernels_figures(podsim: PodSim) -> None:
    r = run(podsim, "top", "-A", "--cgroups")
    assert r.code == 0, r.err
    rows = table(r.out)
    head = list(rows[0])
    for title in ("ANON", "FILE", "KERNEL", "RECLAIMABLE", "OOM-KILLS"):
        assert title in head
    assert head.index("%LIMIT") < head.index("ANON") < head.index("RISK")
    by_key = {f"{row['NAMESPACE']}/{row['NAME']}": row for row in rows}
    for key, want in expected(podsim).items():
        row = by_key[key]
        assert row["ANON"] == size(want["anon"]), key
        assert row["OOM-KILLS"] == str(want["oomKills"]), key
    assert podsim.collector_pods() == []
    shown = {row["NODE"] for row in rows} - {"<none>"}
    assert sorted(p["spec"]["nodeName"] for p in podsim.life.created) == sorted(shown)  # one pod per node


def test_top_json_has_a_cgroup_object_per_pod_and_container(podsim: PodSim) -> None:
    r = run(podsim, "top", "-A", "--cgroups", "-o", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    items = {f"{p['namespace']}/{p['name']}": p for p in doc["items"]}
    for key, want in expected(podsim).items():
        item = items[key]
        cg = item["cgroup"]
        assert cg["source"] == "cgroup" and want["uid"].replace("-", "_") in cg["path"]
        assert cg["workingSet"] == want["workingSet"] and cg["anon"] == want["anon"]
        assert cg["oomKills"] == cg["ooms"] == want["oomKills"]
        for c in item["containers"]:
            w = want["containers"][c["name"]]
            assert c["cgroup"]["workingSet"] == w["workingSet"]
            assert abs(c["cgroup"]["workingSet"] - c["workingSetBytes"]) < 1024  # metrics are in Ki
            assert c["cgroup"]["anon"] == w["anon"]
            assert c["cgroup"]["usage"] == w["usage"]
            assert c["cgroup"]["peak"] == w["peak"]
            if w["limit"] is not None:  # as on a real node: usage and peak never pass the limit
                assert c["cgroup"]["usage"] <= w["limit"] and c["cgroup"]["peak"] <= w["limit"]
            assert c["cgroup"]["reclaimable"] >= c["cgroup"]["inactiveFile"]
    pod_ws: dict[str, int] = {}
    for p in doc["items"]:
        if p["cgroup"] is not None:
            pod_ws[p["node"]] = pod_ws.get(p["node"], 0) + p["cgroup"]["workingSet"]
    for n in doc["nodes"]:
        own = n["cgroup"]
        assert n["availableFrom"] == "cgroup" and n["cgroupError"] is None
        assert own["memTotal"] == n["capacityBytes"]  # the node's own machine, not one for all
        assert own["memoryAvailable"] == own["memTotal"] - own["rootWorkingSet"] == n["availableBytes"]
        assert n["headroomBytes"] == n["availableBytes"] - n["evictionThresholdBytes"]
        # the kubepods cgroup holds every pod of the node: its working set is their sum, plus the
        # collector pod's own (running while it reads the tree; podlife gives a container without
        # usage 8Mi of anon memory) that the listing made before it does not show
        assert own["podsWorkingSet"] == pod_ws[n["name"]] + 8 * 1024 * 1024 + OVERHEAD
    assert doc["warnings"] == []
    assert podsim.collector_pods() == []


def test_top_containers_rows(podsim: PodSim) -> None:
    r = run(podsim, "top", "-A", "--cgroups", "--containers")
    assert r.code == 0, r.err
    rows = {(row["POD"], row["CONTAINER"]): row for row in table(r.out)}
    for key, want in expected(podsim).items():
        for name, w in want["containers"].items():
            assert rows[(key.split("/")[1], name)]["ANON"] == size(w["anon"])


def test_a_failing_node_is_a_warning_and_the_rest_is_shown(podsim: PodSim) -> None:
    podsim.life.not_ready.add("node-2")
    # long enough for the healthy nodes' pods to start on a loaded machine, short for the test
    r = run(podsim, "top", "-A", "--cgroups", "--pending-timeout", "2")
    assert r.code == 3
    warning = (
        'warning: cgroups of node node-2 not collected: the collector pod on node "node-2" stayed Pending '
        "for more than 2s"
    )
    assert r.err.splitlines() == [warning]
    rows = table(r.out)
    on_2 = [row for row in rows if row["NODE"] == "node-2"]
    # pods with a running container on the other nodes (one in back-off has no cgroup)
    others = [row for row in rows if row["NODE"] not in ("node-2", "<none>") and row["STATUS"] == "Running"]
    assert on_2 and all(row["ANON"] == "-" and row["OOM-KILLS"] == "-" for row in on_2)
    assert others and all(row["ANON"] != "-" for row in others)
    assert podsim.collector_pods() == []

    j = run(podsim, "top", "-A", "--cgroups", "--pending-timeout", "2", "-o", "json")
    assert j.code == 3
    doc = json.loads(j.out)
    assert all(p["cgroup"] is None for p in doc["items"] if p["node"] == "node-2")
    node2 = next(n for n in doc["nodes"] if n["name"] == "node-2")
    assert node2["cgroup"] is None and node2["availableFrom"] == "metrics"
    assert "stayed Pending" in node2["cgroupError"]
    assert [w["source"] for w in doc["warnings"]] == ["cgroups"]
    assert podsim.collector_pods() == []


def test_a_namespace_that_rejects_the_pod_fails_every_node_in_one_line(podsim: PodSim) -> None:
    podsim.life.psa["kubectl-mem"] = "baseline"  # the default collector namespace
    r = run(podsim, "nodes", "--cgroups")
    assert r.code == 3
    (line,) = r.err.splitlines()
    assert line.startswith("warning: cgroups of nodes cp-1, node-1, node-2, ")
    assert 'namespace "kubectl-mem" rejects the collector pod: Pod Security level "baseline"' in line
    assert all(row["AVAILABLE FROM"] == "metrics" for row in table(r.out))
    assert podsim.collector_pods() == []


def _viewer(ps: PodSim, tmp_path: Path) -> Path:
    """A user who may read everything the views read, nodes/proxy included, but create nothing."""
    ps.srv.auth.add_user(
        "viewer",
        "viewer",
        [
            Rule(
                verbs=("get", "list"),
                resources=(
                    "pods",
                    "nodes",
                    "nodes/proxy",
                    "events",
                    "pods.metrics.k8s.io",
                    "nodes.metrics.k8s.io",
                    "priorityclasses.scheduling.k8s.io",
                ),
            )
        ],
    )
    return ps.srv.write_kubeconfig(tmp_path / "kc", token="viewer")


def test_without_rbac_to_create_pods_or_a_fallback_one_warning_says_both(podsim: PodSim, tmp_path) -> None:
    podsim.srv.auth.add_user(
        "reader", "reader", [Rule(verbs=("get", "list"), resources=("pods", "nodes", "pods.metrics.k8s.io"))]
    )
    r = run(
        podsim,
        "top",
        "-A",
        "--cgroups",
        kubeconfig=podsim.srv.write_kubeconfig(tmp_path / "kc", token="reader"),
    )
    assert r.code == 3, r.err
    cgroup_lines = [line for line in r.err.splitlines() if "cgroups of" in line]
    assert cgroup_lines == [
        "warning: cgroups of nodes cp-1, node-1, node-2, node-3, node-4, node-5 not collected: not allowed "
        "to create pods in "
        'namespace "kubectl-mem" (RBAC: needs create, get, list and delete pods and get pods/log); '
        "no Summary API fallback either: it needs get nodes/proxy"
    ]
    assert "falling back" not in r.err and "error:" not in r.err
    assert podsim.life.created == []


def test_without_rbac_to_create_pods_top_falls_back_to_the_summary_api(podsim: PodSim, tmp_path) -> None:
    kc = _viewer(podsim, tmp_path)
    r = run(podsim, "top", "-A", "--cgroups", "-o", "json", kubeconfig=kc)
    assert r.code == 3, r.err
    assert 'not allowed to create pods in namespace "kubectl-mem"' in r.err
    assert "falling back to the kubelet Summary API" in r.err and "error:" not in r.err
    assert podsim.life.created == []
    doc = json.loads(r.out)
    items = {f"{p['namespace']}/{p['name']}": p for p in doc["items"]}
    for key, want in expected(podsim).items():
        cg = items[key]["cgroup"]
        assert cg["source"] == "summary" and cg["file"] is None and cg["oomKills"] is None
        for c in items[key]["containers"]:
            assert c["cgroup"]["workingSet"] == want["containers"][c["name"]]["workingSet"]
    assert all(n["availableFrom"] == "summary" and n["cgroup"]["source"] == "summary" for n in doc["nodes"])


# -- nodes -------------------------------------------------------------------------------------


def test_nodes_use_the_nodes_own_memory_available_and_say_so(podsim: PodSim) -> None:
    j = run(podsim, "nodes", "--cgroups", "-o", "json")
    assert j.code == 0, j.err
    own = {n["name"]: n for n in json.loads(j.out)["items"]}
    r = run(podsim, "nodes", "--cgroups")
    assert r.code == 0, r.err
    rows = table(r.out)
    assert rows and {row["NAME"] for row in rows} == set(own)
    for row in rows:
        n = own[row["NAME"]]
        assert row["AVAILABLE FROM"] == "cgroup"
        assert row["AVAILABLE"] == size(n["cgroup"]["memoryAvailable"])
        assert row["HEADROOM"] == size(n["cgroup"]["memoryAvailable"] - n["evictionThresholdBytes"])
        assert row["WORKING SET"] == size(n["cgroup"]["rootWorkingSet"])
        assert row["RECLAIMABLE"] == size(n["cgroup"]["root"]["reclaimable"])
    # sorted by the new headroom, smallest first
    headrooms = [own[row["NAME"]]["headroomBytes"] for row in rows]
    assert headrooms == sorted(headrooms)
    assert podsim.collector_pods() == []


def test_nodes_one_node(podsim: PodSim) -> None:
    r = run(podsim, "nodes", "node-1", "--cgroups")
    assert r.code == 0, r.err
    assert table(r.out.split("\n\n")[0])[0]["AVAILABLE FROM"] == "cgroup"
    assert "Eviction order on node-1" in r.out
    assert [p["spec"]["nodeName"] for p in podsim.life.created] == ["node-1"]
    assert podsim.collector_pods() == []


# -- explain -----------------------------------------------------------------------------------


def _running_pod(ps: PodSim, node: str = "node-1") -> tuple[str, str, dict[str, Any]]:
    for key, want in sorted(expected(ps).items()):
        if want["node"] == node and len(want["containers"]) == 1:
            ns, name = key.split("/")
            return ns, name, want
    raise AssertionError("no single-container running pod on " + node)


def _with_kills(monkeypatch: pytest.MonkeyPatch, uid: str, oom_kill: int, oom: int) -> None:
    """The kernel of the pod's node counts OOM kills in the pod's (only) container."""
    real = podlife_module.node_pods

    def node_pods(cluster: Any, node: str) -> list[Any]:
        pods = real(cluster, node)
        for p in pods:
            if p.uid == uid:
                c = p.containers[0]
                c.mem = dataclasses.replace(c.mem, oom_kill=oom_kill, oom=oom)
        return pods

    monkeypatch.setattr(podlife_module, "node_pods", node_pods)


def test_explain_shows_the_composition_and_builds_on_the_peak(podsim: PodSim) -> None:
    ns, name, want = _running_pod(podsim)
    (cname, w), *_ = want["containers"].items()
    r = run(podsim, "explain", f"pod/{name}", "-n", ns, "--cgroups", "-o", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    pod = doc["pods"][0]
    (c,) = [c for c in pod["containers"] if c["name"] == cname]
    assert c["cgroup"]["source"] == "cgroup"
    assert c["cgroup"]["workingSet"] == w["workingSet"] and c["cgroup"]["anon"] == w["anon"]
    assert c["cgroup"]["reclaim"].startswith("Under memory pressure the kernel can reclaim")
    assert pod["cgroup"]["oomKills"] == 0
    assert pod["eviction"]["nodeAvailableFrom"] == "cgroup"
    (rec,) = [x for x in doc["recommendation"]["containers"] if x["container"] == cname]
    # the limit rests on what the kernel cannot reclaim, never on memory.peak (page cache included)
    assert rec["limitBasis"] == "unreclaimable"
    assert any(
        f"what the kernel cannot reclaim, {q(c['cgroup']['unreclaimable'])}" in f for f in rec["formula"]
    )

    t = run(podsim, "explain", f"pod/{name}", "-n", ns, "--cgroups")
    assert t.code == 0, t.err
    flat = " ".join(t.out.split())
    assert "KERNEL (cgroup memory.stat and memory.events, read by the node collector)" in t.out
    assert f"Its working set {format_bytes(w['workingSet'])} includes" in flat
    assert "memory.available" in flat and "(the node's own: MemTotal - root cgroup working set" in flat
    assert [p["spec"]["nodeName"] for p in podsim.life.created] == ["node-1", "node-1"]  # two runs
    assert podsim.collector_pods() == []


def test_explain_kernel_kills_the_api_never_saw(podsim: PodSim, monkeypatch: pytest.MonkeyPatch) -> None:
    ns, name, want = _running_pod(podsim)
    _with_kills(monkeypatch, want["uid"], oom_kill=2, oom=2)
    r = run(podsim, "explain", f"pod/{name}", "-n", ns, "--cgroups", "-o", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    cause = doc["cause"]
    assert (cause["kind"], cause["confidence"]) == ("container-oom-kill", "certain")
    assert "its main process survived, so Kubernetes recorded no OOMKilled" in cause["summary"]
    assert "killed 2 processes" in cause["summary"]
    assert cause["evidence"][0]["source"] == "cgroup memory.events (node collector)"
    assert doc["pods"][0]["cgroup"]["oomKills"] == 2
    assert doc["verdict"].startswith(cause["summary"])
    # without --cgroups the API knows nothing of it
    plain = json.loads(run(podsim, "explain", f"pod/{name}", "-n", ns, "-o", "json").out)
    assert plain["cause"]["kind"] == "no-memory-kill"
    assert podsim.collector_pods() == []


def test_explain_kills_without_a_limit_reached_are_node_level(
    podsim: PodSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    ns, name, want = _running_pod(podsim)
    _with_kills(monkeypatch, want["uid"], oom_kill=1, oom=0)
    r = run(podsim, "explain", f"pod/{name}", "-n", ns, "--cgroups")
    assert r.code == 0, r.err
    flat = " ".join(r.out.split())
    assert "CAUSE: node-level OOM kill (the node ran out, not the container's limit) (certain)" in flat
    assert "never reached a limit (oom 0)" in flat
    assert podsim.collector_pods() == []


def test_explain_a_failing_node_is_partial_and_not_known(podsim: PodSim) -> None:
    ns, name, _ = _running_pod(podsim, "node-2")
    podsim.life.image_pull_error = True
    r = run(podsim, "explain", f"pod/{name}", "-n", ns, "--cgroups")
    assert r.code == 3
    assert r.err.startswith("warning: cgroups of node node-2 not collected: ")
    assert "NOT KNOWN" in r.out and "cannot pull the collector image" in " ".join(r.out.split())
    assert "KERNEL" not in r.out
    assert podsim.collector_pods() == []


def test_explain_without_rbac_says_what_the_summary_api_cannot_tell(podsim: PodSim, tmp_path) -> None:
    ns, name, want = _running_pod(podsim)
    r = run(podsim, "explain", f"pod/{name}", "-n", ns, "--cgroups", kubeconfig=_viewer(podsim, tmp_path))
    assert r.code == 3, r.err
    flat = " ".join(r.out.split())
    assert "KERNEL (kubelet Summary API: working set, usage and RSS only, no collector pod)" in r.out
    assert (
        "cgroups of node node-1: only the kubelet Summary API (no collector pod allowed), so no breakdown, "
        "OOM kill counts or peak" in flat
    )
    assert "(the kubelet's own, from its Summary API)" in flat
    assert podsim.life.created == []


# -- leaving nothing behind --------------------------------------------------------------------


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_top_leaves_no_pod(podsim: PodSim, sig: int, code: int) -> None:
    podsim.life.step_s = 1.0  # long enough to interrupt while the pods are there
    done = interrupt_mid_collection(podsim, ["top", "-A", "--cgroups", "-o", "json"], sig)
    assert done.returncode == code, done.stderr
    assert done.stdout == ""
    assert podsim.collector_pods() == []
    assert podsim.life.deletes


# -- the documents are documented --------------------------------------------------------------


def test_every_key_of_top_and_nodes_with_cgroups_is_in_docs_schema(podsim: PodSim) -> None:
    text = (DOCS / "schema.md").read_text()
    documented = {
        w for span in re.findall(r"`([^`]+)`", text) for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", span)
    }
    keys: set[str] = set()
    for args in (("top", "-A"), ("nodes",), ("top", "-A", "--cgroups"), ("nodes", "--cgroups")):
        r = run(podsim, *args, "-o", "json")
        assert r.code == 0, r.err
        keys |= json_keys(json.loads(r.out))
    assert sorted(keys - documented) == []


def _crash_looping(ps: PodSim) -> tuple[str, str, str, str]:
    """(namespace, pod, container, node) of a running pod with a container in back-off."""
    for pod in ps.srv.cluster.list("pods"):
        for cs in pod["status"].get("containerStatuses") or []:
            if cs["state"].get("waiting", {}).get("reason") == "CrashLoopBackOff":
                md = pod["metadata"]
                return md["namespace"], md["name"], cs["name"], pod["spec"]["nodeName"]
    raise AssertionError("no crash-looping pod")


def test_a_container_without_a_cgroup_and_a_v1_pod_read_alike_in_every_view(podsim: PodSim) -> None:
    """14.3/10.3: a container in back-off has no cgroup (runc removed it): `cgroups` named it
    `NAME (no cgroup: CrashLoopBackOff)` while `top --containers --cgroups` showed a row of - and
    explain's KERNEL table left it out; its LIMIT read `unbounded`. On its cgroup v1 node the pod's
    OOM kills are unknown, with the reason, and the sentences name memory.oom_control."""
    from kubectl_mem.sim.cgtree import Layout

    ns, name, container, node = _crash_looping(podsim)
    podsim.life.layouts[node] = Layout("v1", "cgroupfs", "containerd")
    no_cgroup = f"{container} (no cgroup: CrashLoopBackOff)"

    r = run(podsim, "top", "-n", ns, "--cgroups", "--containers")
    assert r.code == 0, r.err
    (row,) = [row for row in table(r.out) if row["POD"] == name]
    assert row["CONTAINER"] == no_cgroup and row["ANON"] == row["OOM-KILLS"] == "-"

    r = run(podsim, "cgroups", f"pod/{name}", "-n", ns)
    assert r.code == 0, r.err
    note, *lines = r.out.splitlines()[1:]
    assert note.startswith("OOM-KILLS of pods (-): not counted by cgroup v1")
    rows = {row["CONTAINER"]: row for row in table("\n".join(lines))}
    assert rows["(pod)"]["OOM-KILLS"] == "-"
    assert rows[no_cgroup]["LIMIT"] == "-"  # not known (was: unbounded)

    r = run(podsim, "explain", f"pod/{name}", "-n", ns, "--cgroups")
    assert r.code == 0, r.err
    kernel = r.out[r.out.index("KERNEL (") :]
    assert kernel.startswith("KERNEL (cgroup memory.stat and memory.oom_control, read by the node collector)")
    assert no_cgroup in kernel
    assert "pod cgroup: OOM kills not counted by cgroup v1" in " ".join(kernel.split())
    assert "memory.events" not in kernel[: kernel.index("\n\n")]
    doc = json.loads(run(podsim, "explain", f"pod/{name}", "-n", ns, "--cgroups", "-o", "json").out)
    (c,) = [c for c in doc["pods"][0]["containers"] if c["name"] == container]
    assert c["cgroup"] is None and c["noCgroup"] == "CrashLoopBackOff"
    assert doc["pods"][0]["cgroup"]["oomKills"] is None
    assert doc["pods"][0]["cgroup"]["oomKillsFile"] == "memory.oom_control"
    assert podsim.collector_pods() == []
