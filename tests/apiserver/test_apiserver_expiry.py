"""An expired continue token on a real apiserver (410 Expired, after its own etcd compaction), what the
plugin's paginated LIST does with it, and the simulated cluster's 410 next to it.

A control plane of its own, compacting every 2 s: kube-apiserver 1.36 serves continue pages from its
watch cache, which lets go of a revision only once the apiserver itself has compacted past it."""

from __future__ import annotations

import base64
import json
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from envtest import ControlPlane

from kubectl_mem.kube import decode
from kubectl_mem.kube.config import connect
from kubectl_mem.kube.http import Response, Transport
from kubectl_mem.kube.lists import list_all
from kubectl_mem.sim import ADMIN_TOKEN, Cluster, Faults, SimServer, make_node, make_pod

pytestmark = pytest.mark.apiserver

NS = "expiry"


def _pod(name: str) -> dict[str, Any]:
    spec = {"nodeName": "n1", "containers": [{"name": "c", "image": "registry.example/app:1"}]}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


@pytest.fixture(scope="module")
def compacting(tmp_path_factory: pytest.TempPathFactory, envtest_assets: Path) -> Iterator[ControlPlane]:
    cp = ControlPlane.start(
        tmp_path_factory.mktemp("compacting"),
        users=(),
        assets=envtest_assets,
        extra_args=["--etcd-compaction-interval=2s"],
    )
    try:
        cp.create_namespace(NS)
        for i in range(6):
            cp.apply(f"/api/v1/namespaces/{NS}/pods", _pod(f"p{i}"))
        yield cp
    finally:
        cp.stop()


def _wait_expired(cp: ControlPlane, token: str, timeout: float = 90) -> tuple[int, dict[str, str], bytes]:
    """Write (the revision moves on) until the apiserver has compacted past `token`: its 410."""
    deadline = time.monotonic() + timeout
    n = 0
    while time.monotonic() < deadline:
        cp.apply(f"/api/v1/namespaces/{NS}/pods", _pod(f"later-{token[-6:].lower()}-{n}"))
        n += 1
        answer = cp.request("GET", f"/api/v1/pods?limit=2&continue={token}")
        if answer[0] != 200:
            return answer
        time.sleep(0.5)
    raise TimeoutError("the continue token never expired")


class _ExpiringTransport(Transport):
    """Before asking for the second page, wait until the real server has expired its token."""

    def __init__(self, cp: ControlPlane, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.cp = cp
        self.expired = 0

    def get(self, path: str, params: Any = (), **kw: Any) -> Response:
        token = dict(params).get("continue")
        if token and not self.expired and '"rv":-1' not in _token_json(token):
            _wait_expired(self.cp, token)
            self.expired += 1
        return super().get(path, params, **kw)


def _sim_get(sim: SimServer, target: str) -> tuple[int, bytes]:
    req = urllib.request.Request(sim.url + target, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    try:
        with urllib.request.urlopen(req, context=ssl.create_default_context(cadata=sim.ca_pem)) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _token_json(token: str) -> str:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()


def test_an_expired_token_restarts_the_list_once_with_all_pods(compacting: ControlPlane) -> None:
    conn = connect(kubeconfig=str(compacting.kubeconfig()))
    t = _ExpiringTransport(compacting, conn)
    pods = list_all(t, "/api/v1/pods", decode.pods_page, limit=2)
    assert t.expired == 1
    now = json.loads(compacting.request("GET", "/api/v1/pods")[2])["items"]
    assert [p.name for p in pods] == [p["metadata"]["name"] for p in now]  # one consistent list, not a mix
    conn.close()


def test_the_410_is_the_same_status_as_the_simulated_clusters(compacting: ControlPlane) -> None:
    first = json.loads(compacting.request("GET", "/api/v1/pods?limit=2")[2])
    status, headers, body = _wait_expired(compacting, first["metadata"]["continue"])
    assert status == 410 and headers["content-type"] == "application/json"
    real = json.loads(body)

    cluster = Cluster()
    cluster.add_node(make_node("n1"))
    for i in range(6):
        cluster.add_pod(make_pod(f"p{i}", NS, "n1"))
    faults = Faults()
    with SimServer(cluster, faults=faults).start() as sim:
        token = json.loads(_sim_get(sim, "/api/v1/pods?limit=2")[1])["metadata"]["continue"]
        faults.expire_continue(1)
        code, sim_body = _sim_get(sim, f"/api/v1/pods?limit=2&continue={token}")
    simulated = json.loads(sim_body)
    assert code == 410
    for key in ("kind", "apiVersion", "status", "message", "reason", "code"):
        assert real[key] == simulated[key], key
    assert sorted(real["metadata"]) == sorted(simulated["metadata"]) == ["continue"]
    assert '"rv":-1' in _token_json(real["metadata"]["continue"])
    assert "details" not in real and "details" not in simulated
