"""Load a simulated cluster's objects into a real kube-apiserver fast enough for 20,000 pods: many
keep-alive connections at once, each object through real admission (POST), then its status through
the `/status` subresource as a kubelet writes it. What the server computes itself (priority, the
preemption policy, qosClass) is left to it, as in tests/apiserver's loader."""

from __future__ import annotations

import copy
import http.client
import json
import ssl
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

Obj = dict[str, Any]
SERVER_METADATA = ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation")
REAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class Client:
    """One keep-alive HTTPS connection per thread."""

    def __init__(self, url: str, token: str, ca_file: str) -> None:
        u = urlsplit(url)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 443
        self.token = token
        self.ctx = ssl.create_default_context(cafile=ca_file)
        self._local = threading.local()

    def _conn(self) -> http.client.HTTPSConnection:
        c = getattr(self._local, "conn", None)
        if c is None:
            c = self._local.conn = http.client.HTTPSConnection(
                self.host, self.port, context=self.ctx, timeout=120
            )
        return c

    def request(self, method: str, path: str, body: Obj | None = None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(3):
            c = self._conn()
            try:
                c.request(method, path, body=data, headers=headers)
                r = c.getresponse()
                payload = r.read()
            except (OSError, http.client.HTTPException):
                c.close()
                self._local.conn = None
                if attempt == 2:
                    raise
                continue
            if r.status == 429 or r.status >= 500:
                continue
            return r.status, payload
        return r.status, payload


def _clean(obj: Obj) -> Obj:
    obj = copy.deepcopy(obj)
    md = obj.setdefault("metadata", {})
    for k in SERVER_METADATA:
        md.pop(k, None)
    obj.pop("kind", None)
    obj.pop("apiVersion", None)
    return obj


def _unaccount(spec: Obj) -> None:
    spec.pop("serviceAccountName", None)
    spec.pop("serviceAccount", None)
    token = {v["name"] for v in spec.get("volumes", ()) if v["name"].startswith("kube-api-access-")}
    spec["volumes"] = [v for v in spec.get("volumes", ()) if v["name"] not in token]
    for c in (*spec.get("initContainers", ()), *spec.get("containers", ())):
        c["volumeMounts"] = [m for m in c.get("volumeMounts", ()) if m["name"] not in token]


def _all(pool: ThreadPoolExecutor, fn: Callable[[Obj], None], items: Iterable[Obj]) -> None:
    for _ in pool.map(fn, items):
        pass


def load(
    client: Client, cluster: Any, *, workers: int = 24, progress: Callable[[str], None] = print
) -> list[str]:
    """Create the cluster's namespaces, service accounts, priority classes, nodes and pods, then write
    the nodes' and pods' status. Returns what the server rejected ("kind ns/name: status message")."""
    rejected: list[str] = []
    lock = threading.Lock()

    def check(status: int, body: bytes, what: str) -> bool:
        if status < 300 or status == 409:
            return True
        try:
            message = json.loads(body).get("message", "")[:300]
        except ValueError:
            message = body[:300].decode(errors="replace")
        with lock:
            rejected.append(f"{what}: {status} {message}")
        return False

    pods = cluster.list("pods")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        namespaces = [ns["metadata"]["name"] for ns in cluster.list("namespaces")]
        for ns in namespaces:
            if ns not in REAL_NAMESPACES:
                status, body = client.request("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
                check(status, body, f"Namespace {ns}")
        accounts = {
            (p["metadata"]["namespace"], p["spec"].get("serviceAccountName") or "default") for p in pods
        }
        accounts |= {(ns, "default") for ns in namespaces}

        def account(key: tuple[str, str]) -> None:
            ns, name = key
            status, body = client.request(
                "POST", f"/api/v1/namespaces/{ns}/serviceaccounts", {"metadata": {"name": name}}
            )
            check(status, body, f"ServiceAccount {ns}/{name}")

        for _ in pool.map(account, sorted(accounts)):
            pass
        for pc in cluster.list("priorityclasses.scheduling.k8s.io"):
            if not pc["metadata"]["name"].startswith("system-"):
                status, body = client.request(
                    "POST", "/apis/scheduling.k8s.io/v1/priorityclasses", _clean(pc)
                )
                check(status, body, f"PriorityClass {pc['metadata']['name']}")

        def node(n: Obj) -> None:
            name = n["metadata"]["name"]
            status, body = client.request("POST", "/api/v1/nodes", _clean(n))
            if check(status, body, f"Node {name}") and status < 300:
                created = json.loads(body)
                created["status"] = n["status"]
                status, body = client.request("PUT", f"/api/v1/nodes/{name}/status", created)
                check(status, body, f"Node {name} status")

        _all(pool, node, cluster.list("nodes"))
        progress(f"  {len(cluster.list('nodes'))} nodes loaded; {len(pods)} pods ...")
        done = [0]

        def pod(p: Obj) -> None:
            md = p["metadata"]
            ns, name = md["namespace"], md["name"]
            obj = _clean(p)
            obj.pop("status", None)
            obj["spec"].pop("priority", None)
            obj["spec"].pop("preemptionPolicy", None)
            if "kubernetes.io/config.mirror" in (md.get("annotations") or {}):
                _unaccount(obj["spec"])  # the server refuses a mirror pod with a service account
            path = f"/api/v1/namespaces/{ns}/pods"
            status, body = client.request("POST", path, obj)
            if not check(status, body, f"Pod {ns}/{name}") or status >= 300:
                return
            created = json.loads(body)
            st = dict(p["status"])
            st["qosClass"] = created["status"].get("qosClass")
            created["status"] = st
            status, body = client.request("PUT", f"{path}/{name}/status", created)
            check(status, body, f"Pod {ns}/{name} status")
            with lock:
                done[0] += 1
                if done[0] % 5000 == 0:
                    progress(f"  {done[0]} pods ...")

        _all(pool, pod, pods)
    return rejected
