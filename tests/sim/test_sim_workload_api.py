"""apps/v1 and batch/v1 in the simulated cluster: served as the real apiserver serves them (discovery,
lists, gets, metadata-only lists), with owner chains that hold by uid, for kubectl and for us."""

from __future__ import annotations

import json

from sim_helpers import Kubectl, SimFactory, get

from kubectl_mem.sim import DEFAULT_NOW, Auth, Rule, generate

PARTIAL = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"


def _cluster():
    return generate(seed=7, nodes=6, pods=74, now=DEFAULT_NOW)


def test_kubectl_gets_every_kind_of_owner(sim_factory: SimFactory, kubectl: Kubectl) -> None:
    c = _cluster()
    srv = sim_factory(c)
    r = kubectl(srv.kubeconfig, "get", "deploy,rs,sts,ds,job,cj", "-A", "-o", "name", check=True)
    names = set(r.stdout.split())
    assert "deployment.apps/recommender" in names and "daemonset.apps/policy-agent" in names
    assert "cronjob.batch/nightly-export" in names and "replicaset.apps/coredns-jzqg2lpzpt" in names
    assert len([n for n in names if n.startswith("job.batch/")]) == len(c.list("jobs.batch"))
    r = kubectl(
        srv.kubeconfig, "get", "deployment", "recommender", "-n", "team-search", "-o", "json", check=True
    )
    dep = json.loads(r.stdout)
    assert dep["spec"]["replicas"] == 2 and dep["status"]["readyReplicas"] == 2
    # the template is what the author wrote: no service-account volume, which admission adds to pods
    (ctr,) = dep["spec"]["template"]["spec"]["containers"]
    assert "volumeMounts" not in ctr and ctr["resources"]["requests"]["memory"] == "2Gi"


def test_owner_chains_hold_by_uid(sim_factory: SimFactory) -> None:
    c = _cluster()
    uids = {
        (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]): o["metadata"]["uid"]
        for res in ("deployments.apps", "replicasets.apps", "daemonsets.apps", "jobs.batch", "cronjobs.batch")
        for o in c.list(res)
    }
    checked = 0
    for obj in [*c.list("pods"), *c.list("replicasets.apps"), *c.list("jobs.batch")]:
        for ref in obj["metadata"].get("ownerReferences", []):
            if ref["kind"] == "Node":
                continue
            key = (ref["kind"], obj["metadata"]["namespace"], ref["name"])
            assert uids[key] == ref["uid"], key
            checked += 1
    assert checked > 80


def test_metadata_only_lists_page_like_full_ones(sim_factory: SimFactory) -> None:
    srv = sim_factory(_cluster())
    seen, token = [], ""
    while True:
        path = "/apis/apps/v1/replicasets?limit=5" + (f"&continue={token}" if token else "")
        doc = get(srv, path, headers={"Accept": PARTIAL}).json()
        assert doc["kind"] == "PartialObjectMetadataList" and doc["apiVersion"] == "meta.k8s.io/v1"
        for item in doc["items"]:
            assert set(item) == {"kind", "apiVersion", "metadata"}
            assert item["kind"] == "PartialObjectMetadata"
            assert item["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
        seen += [i["metadata"]["name"] for i in doc["items"]]
        token = doc["metadata"].get("continue", "")
        if not token:
            break
    full = get(srv, "/apis/apps/v1/replicasets").json()
    assert full["kind"] == "ReplicaSetList" and seen == [i["metadata"]["name"] for i in full["items"]]
    assert "template" in full["items"][0]["spec"]


def test_discovery_and_rbac_of_the_new_groups(sim_factory: SimFactory) -> None:
    srv = sim_factory(_cluster(), auth=Auth({"t": ("alice", [Rule(verbs=("list",), resources=("pods",))])}))
    groups = {g["name"] for g in get(srv, "/apis").json()["groups"]}
    assert {"apps", "batch"} <= groups
    apps = {r["name"]: r for r in get(srv, "/apis/apps/v1").json()["resources"]}
    assert apps["deployments"]["shortNames"] == ["deploy"] and apps["deployments"]["namespaced"]
    batch = {r["name"] for r in get(srv, "/apis/batch/v1").json()["resources"]}
    assert {"jobs", "cronjobs", "jobs/status"} <= batch
    r = get(srv, "/apis/apps/v1/namespaces/team-search/deployments", token="t")
    assert r.status == 403
    assert r.json()["message"] == (
        'deployments.apps is forbidden: User "alice" cannot list resource "deployments" in API group "apps" '
        'in the namespace "team-search"'
    )
    assert get(srv, "/apis/batch/v1/jobs?fieldSelector=status.successful=0").status == 200
    bad = get(srv, "/apis/apps/v1/deployments?fieldSelector=spec.replicas=3")
    assert bad.status == 400 and "spec.replicas" in bad.json()["message"]
