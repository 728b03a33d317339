"""`kubectl mem workloads` on a real kube-apiserver (v1.36, tests/envtest): the owner chain read from
real ReplicaSets and Jobs (metadata-only lists), the documented RBAC role, forbidden lists, and the
simulated cluster's apps/batch objects and metadata-only lists shaped as the real server shapes them.

There is no controller-manager here: the test writes the objects the controllers would (a ReplicaSet
owned by its Deployment, Jobs owned by their CronJob, pods owned by both) and their status."""

from __future__ import annotations

import http.client
import io
import json
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from envtest import ControlPlane

from kubectl_mem.cli.env import Env
from kubectl_mem.cli.run import main
from kubectl_mem.sim import ADMIN_TOKEN, DEFAULT_NOW, SimServer, generate
from kubectl_mem.sim.builders import make_container
from kubectl_mem.sim.controllers import (
    make_cronjob,
    make_daemonset,
    make_deployment,
    make_job,
    make_replicaset,
    owner_ref,
)

pytestmark = pytest.mark.apiserver

NS = "workloads-real"
Obj = dict[str, Any]
ROOT = Path(__file__).parents[2]
PARTIAL = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"


def run(argv: list[str], kubeconfig: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--kubeconfig", str(kubeconfig)], Env(stdout=out, stderr=err, stdout_isatty=False))
    return code, out.getvalue(), err.getvalue()


def _ref(obj: Obj) -> list[Obj]:
    """The controller reference to a created object, with the uid the real server gave it."""
    ref = owner_ref(obj["kind"], NS, obj["metadata"]["name"])
    return [{**ref, "uid": obj["metadata"]["uid"]}]


def _pod(name: str, owner: list[Obj], containers: list[Obj], node: str = "wl-node-1") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "ownerReferences": owner},
        "spec": {"nodeName": node, "containers": containers},
    }


def _create(cp: ControlPlane, path: str, obj: Obj) -> Obj:
    obj = json.loads(json.dumps(obj))
    for k in ("uid", "resourceVersion", "creationTimestamp", "generation"):
        obj["metadata"].pop(k, None)
    obj["metadata"]["namespace"] = NS
    obj.pop("status", None)
    if obj["kind"] == "Job":  # the server makes a Job's selector and labels from its uid
        obj["metadata"].pop("labels", None)
        obj["spec"].pop("selector", None)
        obj["spec"].pop("manualSelector", None)
        obj["spec"]["template"]["metadata"].pop("labels", None)
    return cp.apply(path, obj)


@pytest.fixture(scope="module")
def workloads_ns(control_plane: ControlPlane) -> Iterator[ControlPlane]:
    """The objects in their own namespace, removed at the end (the control plane is the session's)."""
    cp = control_plane
    try:
        yield _populate(cp)
    finally:
        for pod in json.loads(cp.request("GET", f"/api/v1/namespaces/{NS}/pods")[2]).get("items", []):
            cp.request(
                "DELETE", f"/api/v1/namespaces/{NS}/pods/{pod['metadata']['name']}?gracePeriodSeconds=0"
            )
        cp.request("DELETE", f"/api/v1/namespaces/{NS}")  # its RoleBindings go with it


def _populate(cp: ControlPlane) -> ControlPlane:
    cp.create_namespace(NS)
    created = datetime(2025, 6, 1, tzinfo=UTC)
    app = make_container(
        "app", "registry.example/api:1", requests={"memory": "512Mi"}, limits={"memory": "1Gi"}
    )
    apps = f"/apis/apps/v1/namespaces/{NS}"
    batch = f"/apis/batch/v1/namespaces/{NS}"
    dep = _create(
        cp,
        f"{apps}/deployments",
        make_deployment("api", NS, [app], replicas=3, ready=2, template_hash="7d9f5c", created=created),
    )
    rs_obj = make_replicaset(dep, "7d9f5c", ready=2)
    rs_obj["metadata"]["ownerReferences"] = _ref(dep)
    rs = _create(cp, f"{apps}/replicasets", rs_obj)
    for i in range(2):
        pod = _pod(f"api-7d9f5c-{i}", _ref(rs), [app])
        pod["metadata"]["labels"] = {"app": "api", "pod-template-hash": "7d9f5c"}
        cp.apply(f"/api/v1/namespaces/{NS}/pods", pod)
    agent = make_container("agent", "registry.example/agent:1", requests={"memory": "64Mi"})
    ds = _create(
        cp, f"{apps}/daemonsets", make_daemonset("agent", NS, [agent], desired=2, ready=2, created=created)
    )
    status, _, body = cp.request(
        "PATCH",
        f"{apps}/daemonsets/agent/status",
        {
            "status": {
                "desiredNumberScheduled": 2,
                "currentNumberScheduled": 2,
                "numberReady": 2,
                "numberMisscheduled": 0,
            }
        },
        content_type="application/merge-patch+json",
    )
    assert status == 200, body
    for n in ("wl-node-1", "wl-node-2"):
        cp.apply(f"/api/v1/namespaces/{NS}/pods", _pod(f"agent-{n}", _ref(ds), [agent], node=n))
    export = make_container("export", "registry.example/export:1", requests={"memory": "256Mi"})
    cj = _create(
        cp, f"{batch}/cronjobs", make_cronjob("nightly", NS, [export], schedule="0 3 * * *", created=created)
    )
    job_obj = make_job("nightly-29150100", NS, [export], created=created, active=1)
    job_obj["metadata"]["ownerReferences"] = _ref(cj)
    job = _create(cp, f"{batch}/jobs", job_obj)
    job_pod = _pod("nightly-29150100-x", _ref(job), [export])
    job_pod["spec"]["restartPolicy"] = "Never"
    cp.apply(f"/api/v1/namespaces/{NS}/pods", job_pod)
    cp.apply(f"/api/v1/namespaces/{NS}/pods", _pod("debug", [], [make_container("sh", "busybox")]))
    return cp


def test_owners_read_from_the_real_server(workloads_ns: ControlPlane) -> None:
    code, out, err = run(["workloads", "-n", NS, "-o", "json"], workloads_ns.kubeconfig())
    # these pods have no usage (no kubelet, and the session's metrics server, when registered, knows
    # other pods): unknown, never 0; partial only when the metrics API itself is missing
    assert code in (0, 3) and "cannot list" not in err
    doc = json.loads(out)
    assert doc["metadata"]["ownersNotListed"] == []
    items = {(i["kind"], i["name"]): i for i in doc["items"]}
    assert set(items) == {
        ("Deployment", "api"),
        ("DaemonSet", "agent"),
        ("CronJob", "nightly"),
        ("Pod", "debug"),
    }
    api = items[("Deployment", "api")]
    assert (api["pods"]["active"], api["pods"]["desired"], api["ownerInferred"]) == (2, 3, False)
    assert api["requestedBytes"] == 2 * 512 << 20 and api["usedBytes"] is None and api["idleBytes"] is None
    agent = items[("DaemonSet", "agent")]
    assert agent["pods"]["desired"] == 2 and agent["daemonSet"]["nodes"] == 2
    assert doc["metadata"]["daemonSets"]["perNodeMaxBytes"] == 64 << 20
    assert items[("CronJob", "nightly")]["pods"]["names"] == ["nightly-29150100-x"]


def test_the_documented_role_is_enough_and_forbidden_lists_are_said(
    workloads_ns: ControlPlane, kubectl, tmp_path: Path
) -> None:
    cp = workloads_ns
    admin = cp.kubeconfig()
    kubectl(admin, "apply", "-f", str(ROOT / "deploy" / "rbac" / "kubectl-mem-readonly.yaml"), check=True)
    # bound in the namespace only (the control plane is shared): nodes stay forbidden and are said
    kubectl(
        admin, "create", "rolebinding", "wl-viewer", "-n", NS, "--clusterrole=kubectl-mem-readonly",
        "--user=viewer", check=True,
    )  # fmt: skip
    code, out, err = run(["workloads", "-n", NS, "-o", "json"], cp.kubeconfig("viewer"))
    # every owner list was read (metrics and nodes may be missing for this user: said, exit 3)
    assert code in (0, 3) and not [w for w in err.splitlines() if w.startswith("warning: cannot list")]
    assert json.loads(out)["metadata"]["ownersNotListed"] == []
    # a user who may list pods and nothing of apps or batch
    kubectl(admin, "create", "role", "wl-pods", "-n", NS, "--verb=list,get", "--resource=pods", check=True)
    kubectl(
        admin, "create", "rolebinding", "wl-limited", "-n", NS, "--role=wl-pods", "--user=limited", check=True
    )
    code, out, err = run(["workloads", "-n", NS, "-o", "json"], cp.kubeconfig("limited"))
    assert code == 3
    assert (
        f'warning: cannot list replicasets.apps in namespace "{NS}" (forbidden): Deployments are inferred '
        "from their pods' ReplicaSet names (pod-template-hash): replicasets.apps is forbidden: "
        'User "limited" cannot list resource "replicasets" in API group "apps" in the namespace '
        f'"{NS}"'
    ) in err.splitlines()
    doc = json.loads(out)
    assert doc["metadata"]["ownersNotListed"] == [
        "DaemonSet",
        "Deployment",
        "Job",
        "ReplicaSet",
        "StatefulSet",
    ]
    items = {(i["kind"], i["name"]): i for i in doc["items"]}
    assert (
        items[("Deployment", "api")]["ownerInferred"]
        and items[("Deployment", "api")]["pods"]["desired"] is None
    )
    assert ("Job", "nightly-29150100") in items


def _sim_get(srv: SimServer, path: str, accept: str = "application/json") -> Obj:
    ctx = ssl.create_default_context(cadata=srv.ca_pem)
    conn = http.client.HTTPSConnection(srv.host, srv.port, context=ctx, timeout=30)
    conn.request("GET", path, headers={"Accept": accept, "Authorization": f"Bearer {ADMIN_TOKEN}"})
    r = conn.getresponse()
    body = r.read()
    conn.close()
    assert r.status == 200, body[:300]
    return json.loads(body)


def _real_get(cp: ControlPlane, path: str, accept: str = "application/json") -> Obj:
    status, _, body = cp.request("GET", path, headers={"Accept": accept})
    assert status == 200, body[:300]
    return json.loads(body)


def test_the_simulated_objects_have_the_real_shapes(workloads_ns: ControlPlane) -> None:
    """For the same builders, the sim's apps/batch lists and metadata-only lists carry the keys the real
    server's carry (spec and pod template as written and defaulted; metadata-only items)."""
    cp = workloads_ns
    with SimServer(generate(seed=7, nodes=6, pods=74, now=DEFAULT_NOW)).start() as srv:
        for group, resource in (
            ("apps", "deployments"),
            ("apps", "replicasets"),
            ("apps", "daemonsets"),
            ("batch", "jobs"),
            ("batch", "cronjobs"),
        ):
            real = _real_get(cp, f"/apis/{group}/v1/namespaces/{NS}/{resource}")
            sim = _sim_get(srv, f"/apis/{group}/v1/{resource}")
            assert (real["kind"], real["apiVersion"]) == (sim["kind"], sim["apiVersion"])
            r, s = real["items"][0], sim["items"][0]
            assert set(r["spec"]) == set(s["spec"]), resource
            assert set(s["metadata"]) - {"annotations", "labels", "ownerReferences"} <= set(r["metadata"]), (
                resource
            )
            if resource == "cronjobs":
                r, s = r["spec"]["jobTemplate"], s["spec"]["jobTemplate"]
            # every field the real server's defaulting gives a pod template, the sim's has too
            assert set(r["spec"]["template"]["spec"]) <= set(s["spec"]["template"]["spec"]), resource
            real_meta = _real_get(cp, f"/apis/{group}/v1/namespaces/{NS}/{resource}", PARTIAL)
            sim_meta = _sim_get(srv, f"/apis/{group}/v1/{resource}", PARTIAL)
            assert set(real_meta) == set(sim_meta) and real_meta["kind"] == sim_meta["kind"]
            assert (
                set(real_meta["items"][0]) == set(sim_meta["items"][0]) == {"kind", "apiVersion", "metadata"}
            )
        real_disc = {x["name"]: x for x in _real_get(cp, "/apis/apps/v1")["resources"]}
        sim_disc = {x["name"]: x for x in _sim_get(srv, "/apis/apps/v1")["resources"]}
        assert real_disc == sim_disc
        assert _real_get(cp, "/apis/batch/v1")["resources"] == _sim_get(srv, "/apis/batch/v1")["resources"]
