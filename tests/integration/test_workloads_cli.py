"""`kubectl mem workloads` end to end against the simulated cluster: every figure of every row checked
against sums over its pods computed here, independently, from the cluster's own objects (pods,
ReplicaSets, Jobs, PodMetrics); the totals against the rows; forbidden owner lists; the table."""

from __future__ import annotations

import io
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubectl_mem.cli.env import Env
from kubectl_mem.cli.run import main
from kubectl_mem.model.quantity import memory_bytes as parse_bytes
from kubectl_mem.report.columns.workloads import lower_bound
from kubectl_mem.report.fmt import size
from kubectl_mem.sim import DEFAULT_NOW, Auth, Cluster, Faults, Rule, generate
from kubectl_mem.sim.builders import pod_memory_request

Obj = dict[str, Any]


def run(argv: list[str], kubeconfig: Path | str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--kubeconfig", str(kubeconfig)], Env(stdout=out, stderr=err, stdout_isatty=False))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module", params=[(7, 6, 74), (3, 12, 400)], ids=["demo", "medium"])
def cluster(request: pytest.FixtureRequest) -> Cluster:
    seed, nodes, pods = request.param
    return generate(seed=seed, nodes=nodes, pods=pods, now=DEFAULT_NOW)


# -- the figures, computed here from the cluster's objects -------------------------------------------


def _controller(obj: Obj) -> tuple[str, str] | None:
    for ref in obj["metadata"].get("ownerReferences", []):
        if ref.get("controller"):
            return ref["kind"], ref["name"]
    return None


def _usage(c: Cluster) -> dict[tuple[str, str], tuple[int, dict[str, int]]]:
    """(namespace, pod) -> (pod working set, per container)."""
    # working sets: metrics-server's per container; where it has none, the kubelet's Summary API
    # (pod cgroup and containers), as kubectl-mem reads it for such pods
    usage: dict[tuple[str, str], tuple[int, dict[str, int]]] = {}
    for m in c.list("pods.metrics.k8s.io"):
        per = {x["name"]: parse_bytes(x["usage"]["memory"]) for x in m["containers"]}
        usage[(m["metadata"]["namespace"], m["metadata"]["name"])] = (sum(per.values()), per)
    for node in c.list("nodes"):
        for sp in (c.summary(node["metadata"]["name"]) or {}).get("pods", []):
            key = (sp["podRef"]["namespace"], sp["podRef"]["name"])
            pod_ws = sp.get("memory", {}).get("workingSetBytes")
            if key not in usage and pod_ws is not None:
                per = {
                    x["name"]: x["memory"]["workingSetBytes"]
                    for x in sp.get("containers", [])
                    if x.get("memory", {}).get("workingSetBytes") is not None
                }
                usage[key] = (pod_ws, per)
    return usage


def expected(c: Cluster) -> dict[tuple[str, str, str], dict[str, Any]]:
    owners = {
        (kind, o["metadata"]["namespace"], o["metadata"]["name"]): _controller(o)
        for kind, res in (("ReplicaSet", "replicasets.apps"), ("Job", "jobs.batch"))
        for o in c.list(res)
    }
    usage = _usage(c)
    rows: dict[tuple[str, str, str], dict[str, Any]] = defaultdict(
        lambda: {
            "active": 0,
            "requested": 0,
            "used": 0,
            "idle": 0,
            "unmeasured": 0,
            "idle_unmeasured": 0,
            "oom": 0,
            "evicted": 0,
        }
    )
    for p in c.list("pods"):
        md, spec, st = p["metadata"], p["spec"], p["status"]
        ns = md["namespace"]
        owner = _controller(p)
        if owner is None:
            key = ("Pod", ns, md["name"])
        elif owner[0] in ("ReplicaSet", "Job") and owners.get((owner[0], ns, owner[1])):
            key = (*owners[(owner[0], ns, owner[1])][:1], ns, owners[(owner[0], ns, owner[1])][1])
        else:
            key = (owner[0], ns, owner[1])
        row = rows[key]
        row["oom"] += sum(
            1
            for s in st.get("containerStatuses", []) + st.get("initContainerStatuses", [])
            if "OOMKilled"
            in (
                s.get("state", {}).get("terminated", {}).get("reason"),
                s.get("lastState", {}).get("terminated", {}).get("reason"),
            )
        )
        row["evicted"] += st.get("reason") == "Evicted"
        if not spec.get("nodeName") or st["phase"] in ("Succeeded", "Failed"):
            continue
        row["active"] += 1
        row["requested"] += pod_memory_request(p)
        found = usage.get((ns, md["name"]))
        sidecars = [i for i in spec.get("initContainers", []) if i.get("restartPolicy") == "Always"]
        requests = {
            ctr["name"]: parse_bytes(req)
            for ctr in spec["containers"] + sidecars
            if (req := (ctr.get("resources", {}).get("requests") or {}).get("memory"))
        }
        if found is None:
            row["unmeasured"] += 1
            continue
        pod_ws, per = found
        row["used"] += pod_ws  # the pod's working set counts even when a container's is unknown
        if any(name not in per for name in requests):
            row["idle_unmeasured"] += 1
            continue
        row["idle"] += sum(max(0, req - per[name]) for name, req in requests.items())
    return rows


# -- the checks ------------------------------------------------------------------------------------------


def test_every_row_and_the_totals_equal_the_sums_over_their_pods(sim_factory, cluster: Cluster) -> None:
    srv = sim_factory(cluster)
    code, out, err = run(["workloads", "-A", "-o", "json"], srv.kubeconfig)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["kind"] == "WorkloadMemoryList" and doc["apiVersion"].startswith("kubectl-mem.io/")
    want = expected(cluster)
    got = {(i["kind"], i["namespace"], i["name"]): i for i in doc["items"]}
    assert set(got) == set(want)
    for key, w in want.items():
        item = got[key]
        assert item["pods"]["active"] == w["active"], key
        assert item["requestedBytes"] == w["requested"], key
        assert (item["pods"]["unmeasured"], item["pods"]["idleUnmeasured"]) == (
            w["unmeasured"],
            w["idle_unmeasured"],
        ), key
        measured = w["active"] - w["unmeasured"]
        assert item["usedBytes"] == (w["used"] if measured else None), key
        assert item["idleBytes"] == (w["idle"] if measured - w["idle_unmeasured"] else None), key
        assert (item["oomKills"], item["evictions"]) == (w["oom"], w["evicted"]), key
        assert not item["ownerInferred"]
    totals = doc["metadata"]["totals"]
    items = doc["items"]
    assert totals["requestedBytes"] == sum(i["requestedBytes"] for i in items)
    assert totals["usedBytes"] == sum(i["usedBytes"] or 0 for i in items)
    assert totals["idleBytes"] == sum(i["idleBytes"] or 0 for i in items)
    assert totals["activePods"] == sum(i["pods"]["active"] for i in items)
    assert totals["unmeasuredPods"] == sum(i["pods"]["unmeasured"] for i in items)
    assert totals["idleUnmeasuredPods"] == sum(i["pods"]["idleUnmeasured"] for i in items)
    assert totals["oomKills"] == sum(i["oomKills"] for i in items)
    assert totals["allocatableBytes"] == sum(
        parse_bytes(n["status"]["allocatable"]["memory"]) for n in cluster.list("nodes")
    )


def test_daemonsets_cost_per_node_and_in_total(sim_factory, cluster: Cluster) -> None:
    srv = sim_factory(cluster)
    doc = json.loads(run(["workloads", "-A", "-o", "json"], srv.kubeconfig)[1])
    per_node: dict[str, int] = defaultdict(int)
    for p in cluster.list("pods"):
        owner = _controller(p)
        if owner and owner[0] == "DaemonSet" and p["status"]["phase"] == "Running":
            per_node[p["spec"]["nodeName"]] += pod_memory_request(p)
    ds = doc["metadata"]["daemonSets"]
    assert {n["node"]: n["requestedBytes"] for n in ds["perNode"]} == per_node
    assert ds["requestedBytes"] == sum(per_node.values())
    assert ds["perNodeMaxBytes"] == max(per_node.values())
    # their working set on each node: over the measured pods, with how many are not
    usage = _usage(cluster)
    used: dict[str, int] = defaultdict(int)
    unmeasured: dict[str, int] = defaultdict(int)
    allocatable = {
        n["metadata"]["name"]: parse_bytes(n["status"]["allocatable"]["memory"])
        for n in cluster.list("nodes")
    }
    for p in cluster.list("pods"):
        owner = _controller(p)
        if owner and owner[0] == "DaemonSet" and p["status"]["phase"] == "Running":
            found = usage.get((p["metadata"]["namespace"], p["metadata"]["name"]))
            if found is None:
                unmeasured[p["spec"]["nodeName"]] += 1
            else:
                used[p["spec"]["nodeName"]] += found[0]
    for n in ds["perNode"]:
        node = n["node"]
        assert (n["usedBytes"], n["unmeasuredPods"]) == (used.get(node), unmeasured[node]), node
        assert n["allocatablePercent"] == round(100 * per_node[node] / allocatable[node], 2), node
    assert ds["usedBytes"] == sum(used.values()) and ds["unmeasuredPods"] == sum(unmeasured.values())
    desired = {
        d["metadata"]["name"]: d["status"]["desiredNumberScheduled"] for d in cluster.list("daemonsets.apps")
    }
    for item in doc["items"]:
        if item["kind"] == "DaemonSet":
            assert item["pods"]["desired"] == desired[item["name"]]
            assert (
                item["requestedBytes"] == item["daemonSet"]["nodes"] * item["daemonSet"]["requestPerPodBytes"]
            )


def test_wide_shows_what_each_node_pays_for_each_daemonset(sim_factory) -> None:
    """-o wide: a DaemonSet's pod request (what each of its nodes pays), its working set per pod and
    its share of the nodes' allocatable, beside PODS (the nodes it runs on)."""
    srv = sim_factory(generate(seed=7, nodes=6, pods=74, now=DEFAULT_NOW))
    items = {
        i["name"]: i
        for i in json.loads(run(["workloads", "-A", "-o", "json"], srv.kubeconfig)[1])["items"]
        if i["kind"] == "DaemonSet"
    }
    code, out, err = run(["workloads", "-A", "-o", "wide", "--kind", "ds"], srv.kubeconfig)
    assert code == 0, err
    _, header, *rows, note = out.splitlines()
    assert note.startswith("REC REQUEST, REC LIMIT rest on one working-set sample of each replica (now)")
    ends = {t: header.index(t) + len(t) for t in ("PODS", "PER NODE", "WORKING SET MIN/MEDIAN/MAX")}
    assert len(rows) == len(items) > 0
    for line in rows:
        item = items[line.split()[2]]
        cell = {t: line[:end].split()[-1] for t, end in ends.items()}
        d, ws = item["daemonSet"], item["workingSetPerReplica"]
        assert cell["PODS"] == f"{d['nodes']}/{item['pods']['desired']}"
        assert cell["PER NODE"] == size(d["requestPerPodBytes"])
        assert cell["WORKING SET MIN/MEDIAN/MAX"] == "/".join(
            size(ws[k]) for k in ("minBytes", "medianBytes", "maxBytes")
        )


def test_by_namespace_sums_the_workload_rows(sim_factory, cluster: Cluster) -> None:
    srv = sim_factory(cluster)
    rows = json.loads(run(["workloads", "-A", "-o", "json"], srv.kubeconfig)[1])["items"]
    code, out, _ = run(["workloads", "-A", "-o", "yaml", "--by", "namespace"], srv.kubeconfig)
    doc = yaml.safe_load(out)
    assert code == 0 and doc["kind"] == "NamespaceMemoryList"
    for ns in doc["items"]:
        mine = [r for r in rows if r["namespace"] == ns["namespace"]]
        assert ns["workloads"] == len(mine)
        assert ns["requestedBytes"] == sum(r["requestedBytes"] for r in mine)
        assert ns["idleBytes"] == (
            sum(r["idleBytes"] or 0 for r in mine) if any(r["idleBytes"] is not None for r in mine) else None
        )
    assert sum(ns["workloads"] for ns in doc["items"]) == len(rows)


def test_the_showcases_tell_their_stories(sim_factory) -> None:
    srv = sim_factory(generate(seed=7, nodes=6, pods=74, now=DEFAULT_NOW))
    items = {
        i["name"]: i for i in json.loads(run(["workloads", "-A", "-o", "json"], srv.kubeconfig)[1])["items"]
    }
    rec = items["recommender"]
    assert rec["kind"] == "Deployment" and rec["idlePercent"] > 70
    assert rec["recommendation"]["savingBytes"] > 2 << 30
    assert rec["recommendation"]["command"].startswith(
        "kubectl set resources deployment/recommender -n team-search -c=app --requests=memory="
    )
    assert (
        items["search-indexer"]["limitsBytes"] is None
        and items["search-indexer"]["containersWithoutLimit"] == 1
    )
    agent = items["policy-agent"]
    assert agent["kind"] == "DaemonSet" and agent["usedBytes"] > agent["requestedBytes"]
    assert agent["limitsBytes"] is None
    export = items["nightly-export"]
    assert export["kind"] == "CronJob" and export["oomKills"] == 3 and export["pods"]["active"] == 1
    (c,) = export["recommendation"]["containers"]
    assert c["oomBump"] and c["limitBytes"] > c["currentLimitBytes"]
    assert export["recommendation"]["command"].startswith(
        "kubectl set resources cronjob/nightly-export -n team-search"
    )


def test_the_recommended_command_runs_as_printed(sim_factory, kubectl) -> None:
    """The exact command, through the real kubectl (--dry-run=client: the sim accepts no writes)."""
    srv = sim_factory(generate(seed=7, nodes=6, pods=74, now=DEFAULT_NOW))
    items = {
        i["name"]: i for i in json.loads(run(["workloads", "-A", "-o", "json"], srv.kubeconfig)[1])["items"]
    }
    for name in ("recommender", "nightly-export"):
        rec = items[name]["recommendation"]
        (c,) = rec["containers"]
        args = rec["command"].split()[1:] + ["--dry-run=client", "-o", "json"]
        r = kubectl(srv.kubeconfig, *args, check=True)
        obj = json.loads(r.stdout)
        spec = obj["spec"]["jobTemplate"]["spec"] if obj["kind"] == "CronJob" else obj["spec"]
        (ctr,) = spec["template"]["spec"]["containers"]
        assert parse_bytes(ctr["resources"]["requests"]["memory"]) == c["requestBytes"]
        assert parse_bytes(ctr["resources"]["limits"]["memory"]) == c["limitBytes"]


def test_forbidden_owner_lists_are_said_and_the_rest_still_resolves(sim_factory) -> None:
    pods_only = [
        Rule(
            verbs=("list", "get"), resources=("pods", "nodes", "pods.metrics.k8s.io", "nodes.metrics.k8s.io")
        ),
        Rule(verbs=("list",), resources=("deployments.apps", "daemonsets.apps", "statefulsets.apps")),
    ]
    srv = sim_factory(
        generate(seed=7, nodes=6, pods=74, now=DEFAULT_NOW), auth=Auth({"t": ("alice", pods_only)})
    )
    kubeconfig = srv.write_kubeconfig(Path(srv.kubeconfig).parent / "alice", token="t")
    code, out, err = run(["workloads", "-A", "-o", "json"], kubeconfig)
    assert code == 3
    lines = err.splitlines()
    assert any(
        line.startswith("warning: cannot list replicasets.apps in all namespaces (forbidden)")
        for line in lines
    )
    assert any(
        line.startswith("warning: cannot list jobs.batch in all namespaces (forbidden)") for line in lines
    )
    doc = json.loads(out)
    assert doc["metadata"]["ownersNotListed"] == ["Job", "ReplicaSet"]
    items = {(i["kind"], i["name"]): i for i in doc["items"]}
    # the Deployment is found by its ReplicaSet's name and says so; its desired count comes from its list
    rec = items[("Deployment", "recommender")]
    assert rec["ownerInferred"] and rec["pods"]["desired"] == 2
    # a Job's CronJob cannot be known without the Job: each Job is its own row
    assert ("CronJob", "nightly-export") not in items
    assert {k for k in items if k[0] == "Job"} == {
        ("Job", j["metadata"]["name"]) for j in srv.cluster.list("jobs.batch")
    }
    # the table marks the inferred owners and says why
    code, out, err = run(["workloads", "-A"], kubeconfig)
    assert "recommender*" in out and out.rstrip().endswith(
        "* owner inferred, not read from the API (see the warnings)"
    )


def test_the_table_first_line_columns_and_flags(sim_factory) -> None:
    srv = sim_factory(generate(seed=7, nodes=6, pods=74, now=DEFAULT_NOW))
    code, out, err = run(["workloads", "-A"], srv.kubeconfig)
    assert code == 0, err
    first, header, *rows = out.splitlines()
    t = json.loads(run(["workloads", "-A", "-o", "json"], srv.kubeconfig)[1])["metadata"]
    totals, ds = t["totals"], t["daemonSets"]
    assert first.startswith(f"cluster: {totals['activePods']} pods on {totals['nodes']} nodes, ")
    assert f"; requests {size(totals['requestedBytes'])} (" in first
    assert f"; idle ≥{size(totals['idleBytes'])} (" in first  # some pods have no usage: a lower bound
    assert (
        f"; DaemonSets {size(ds['perNodeMaxBytes'])} per node ({size(ds['requestedBytes'])} in all)" in first
    )
    assert first.endswith(f"; {totals['podsWithoutLimit']} pods without a memory limit")
    assert header.split()[:5] == ["KIND", "NAMESPACE", "NAME", "PODS", "REQUESTS"]
    assert rows[0].split()[2] == "recommender"  # the most idle first
    # what the recommendations rest on, under the table (the document says it per workload: history)
    assert rows[-1] == (
        "REC REQUEST, REC LIMIT rest on one working-set sample of each replica (now), not on busy hours: "
        "watch them in kubectl mem top's :workloads first; the commands: -o json, or kubectl mem explain "
        "deploy/NAME (sts/, ds/)"
    )
    code, out, _ = run(
        ["workloads", "-n", "team-search", "--kind", "deploy", "--sort-by", "name", "--no-headers"],
        srv.kubeconfig,
    )
    names = [line.split()[1] for line in out.splitlines()]  # no NAMESPACE column with -n, no totals line
    assert code == 0 and names == sorted(names) and "recommender" in names
    assert all(line.split()[0] == "Deployment" for line in out.splitlines())
    code, out, _ = run(["workloads", "-A", "-o", "wide", "--kind", "ds"], srv.kubeconfig)
    assert "WORKING SET MIN/MEDIAN/MAX" in out and "%NODE ALLOC" in out
    for argv, message in (
        (
            ["workloads", "--kind", "svc"],
            'error: --kind "svc": expected deploy, sts, ds, rs, job, cronjob, pod or node',
        ),
        (["workloads", "-A", "-n", "x"], "error: -A and -n cannot be used together"),
        (["workloads", "--sort-by", "age"], 'error: --sort-by "age": expected one of'),
    ):
        code, _, err = run(argv, srv.kubeconfig)
        assert code == 2 and err.startswith(message)
    code, _, err = run(["workloads", "-n", "nothing-here"], srv.kubeconfig)
    assert code == 0 and err.strip() == "No resources found in nothing-here namespace."


def test_without_metrics_server_the_kubelets_figures_are_shown_as_top_shows_them(sim_factory) -> None:
    """metrics.k8s.io not served: the working sets come from the kubelets' Summary API, as in `top`.
    The table shows them (WORKING SET, IDLE) and its first line sums them, the same figures as the
    document and as the sums of `top`'s pods; never 'unknown' beside known figures."""
    cluster = generate(seed=7, nodes=6, pods=74, now=DEFAULT_NOW)
    srv = sim_factory(cluster, faults=Faults(metrics="absent"))
    code, out, err = run(["workloads", "-A", "-o", "json"], srv.kubeconfig)
    assert code == 3 and "metrics API (metrics.k8s.io) is not served" in err
    doc = json.loads(out)
    totals, items = doc["metadata"]["totals"], doc["items"]
    assert not doc["metadata"]["metricsAvailable"] and totals["usedBytes"] is not None
    pods = json.loads(run(["top", "-A", "-o", "json"], srv.kubeconfig)[1])["items"]
    ws = {(p["namespace"], p["name"]): p["workingSetBytes"] for p in pods if p["live"] and p["node"]}
    for item in items:
        mine = [ws[(item["namespace"], n)] for n in item["pods"]["names"] if (item["namespace"], n) in ws]
        known = [w for w in mine if w is not None]
        assert item["usedBytes"] == (sum(known) if known else None), item["name"]
    code, out, _ = run(["workloads", "-A"], srv.kubeconfig)
    first, header, *rows = out.splitlines()
    assert "working set unknown" not in first
    assert f"; working set {lower_bound(totals['usedBytes'], totals['unmeasuredPods'])}; idle " in first
    assert " WORKING SET " in header and " IDLE " in header and " SAVING" in header
    rec = next(line for line in rows if line.split()[2] == items[0]["name"])
    assert lower_bound(items[0]["usedBytes"], items[0]["pods"]["unmeasured"]) in rec.split()


def test_sort_by_takes_every_key_with_its_direction_prefix(sim_factory) -> None:
    """Every --sort-by key orders the rows by its column (the JSON's figure), largest first where the
    key says so; `-KEY` and `+KEY` as separate words, as the docs write them, set the direction."""
    srv = sim_factory(generate(seed=7, nodes=6, pods=74, now=DEFAULT_NOW))

    def names(*sort: str) -> list[str]:
        code, out, err = run(["workloads", "-A", "-o", "json", "--sort-by", *sort], srv.kubeconfig)
        assert code == 0, err
        return [f"{i['namespace']}/{i['name']}" for i in json.loads(out)["items"]]

    def figure(item: dict[str, Any], path: str) -> Any:
        for part in path.split("."):
            item = item[part]
        return item

    items = json.loads(run(["workloads", "-A", "-o", "json"], srv.kubeconfig)[1])["items"]
    for key, path in (
        ("idle", "idleBytes"),
        ("requested", "requestedBytes"),
        ("used", "usedBytes"),
        ("pods", "pods.active"),
        ("oom", "oomKills"),
        ("evictions", "evictions"),
        ("saving", "recommendation.savingBytes"),
        ("per-node", "daemonSet.requestPerPodBytes"),
    ):
        got = names(key)
        by = {f"{i['namespace']}/{i['name']}": i for i in items}
        known = [figure(by[n], path) for n in got if by[n][path.split(".")[0]] is not None]
        assert known == sorted(known, reverse=True), key
    assert names("name") == sorted(names("name"), key=lambda n: n.split("/")[1])
    assert names("-name") == list(reversed(names("+name")))
    assert names("+idle")[-1] == names("idle")[0]


def test_every_field_of_the_documents_is_described_in_docs(sim_factory) -> None:
    """docs/schema.md's workloads section names every key of both documents, and its apiVersion."""
    from json_keys import json_keys

    schema = (Path(__file__).parents[2] / "docs" / "schema.md").read_text()
    section = schema[schema.index("## `kubectl mem workloads -o json`") :]
    section = section.split("\n## ", 1)[0]
    srv = sim_factory(generate(seed=7, nodes=6, pods=74, now=DEFAULT_NOW))
    keys: set[str] = set()
    for by in ("workload", "namespace"):
        doc = json.loads(run(["workloads", "-A", "-o", "json", "--by", by], srv.kubeconfig)[1])
        assert f"`apiVersion` is `{doc['apiVersion']}`" in schema
        assert f"`kind: {doc['kind']}`" in section
        keys |= json_keys(doc)
    documented = {
        w for span in re.findall(r"`([^`]+)`", section) for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", span)
    }
    assert sorted(keys - documented) == []


@pytest.mark.slow
@pytest.mark.parametrize("size", [(7, 6, 74), (3, 12, 400)], ids=["demo", "medium"])
def test_explain_tells_the_same_numbers_as_the_workloads_row(sim_factory, size) -> None:
    """One computation: `explain deploy|sts|ds/x` shows the row's figures and recommendation."""
    seed, nodes, pods = size
    srv = sim_factory(generate(seed=seed, nodes=nodes, pods=pods, now=DEFAULT_NOW))
    items = json.loads(run(["workloads", "-A", "-o", "json"], srv.kubeconfig)[1])["items"]
    chosen: list[dict[str, Any]] = []
    for kind in ("Deployment", "StatefulSet", "DaemonSet"):
        of_kind = [i for i in items if i["kind"] == kind]
        # the most pods, OOM-killed, the most idle, evicted: different stories
        picks = [max(of_kind, key=lambda i: i["pods"]["active"], default=None)]
        picks.append(max(of_kind, key=lambda i: i["oomKills"], default=None))
        picks.append(max(of_kind, key=lambda i: i["idleBytes"] or 0, default=None))
        picks.append(max(of_kind, key=lambda i: i["evictions"], default=None))  # finished pods count
        chosen += [p for p in picks if p is not None and p not in chosen]
    assert {i["kind"] for i in chosen} == (
        {"Deployment", "DaemonSet"} | ({"StatefulSet"} if seed == 3 else set())
    )
    short = {"Deployment": "deploy", "StatefulSet": "sts", "DaemonSet": "ds"}
    for item in chosen:
        target = f"{short[item['kind']]}/{item['name']}"
        code, out, err = run(["explain", target, "-n", item["namespace"], "-o", "json"], srv.kubeconfig)
        assert code == 0, err
        e = json.loads(out)
        f = e["figures"]
        assert (f["activePods"], f["unmeasuredPods"]) == (
            item["pods"]["active"],
            item["pods"]["unmeasured"],
        ), target
        assert (f["requested"], f["used"], f["idle"]) == (
            item["requestedBytes"],
            item["usedBytes"],
            item["idleBytes"],
        ), target
        assert (f["limits"], f["oomKills"], f["evictions"]) == (
            item["limitsBytes"],
            item["oomKills"],
            item["evictions"],
        ), target
        rec, row_rec = e["recommendation"], item["recommendation"]
        assert f["saving"] == row_rec["savingBytes"], target
        assert [(c["container"], c["request"], c["limit"]) for c in rec["containers"]] == [
            (c["name"], c["requestBytes"], c["limitBytes"]) for c in row_rec["containers"]
        ], target
        assert (rec["command"] or None) == row_rec["command"], target
