"""The real-apiserver tier's world (its fixtures: conftest.py): the simulated cluster's generated
scenario loaded into the session's real kube-apiserver (mirror.py), the plugin's own RBAC from
deploy/rbac/ bound to real token users, a metrics server behind the real aggregation layer, and the
simulated cluster serving the same objects with the same users, so both can be asked the same
questions.

Users (tokens in the apiserver's token file, the same tokens in the simulated cluster):
- admin: system:masters;
- viewer: ClusterRoleBinding to kubectl-mem-readonly;
- limited: RoleBindings to kubectl-mem-readonly in LIMITED_NAMESPACES only;
- nobody: authenticated, no role.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from envtest import ControlPlane
from metrics_server import MetricsServer
from mirror import Loaded

from kubectl_mem.sim import Cluster, Rule, SimServer, make_event

ROOT = Path(__file__).resolve().parents[2]
RBAC = ROOT / "deploy" / "rbac"
LIMITED_NAMESPACES = ("team-payments", "team-search")


@dataclass
class World:
    cp: ControlPlane
    cluster: Cluster
    loaded: Loaded
    sim: SimServer
    metrics: MetricsServer
    home: Path

    def real_kubeconfig(self, user: str = "admin", namespace: str | None = None) -> Path:
        return self.cp.kubeconfig(user, namespace=namespace)

    def sim_kubeconfig(self, user: str = "admin", namespace: str | None = None) -> Path:
        path = self.home / "sim" / f"{user}@{namespace or ''}.yaml"
        if not path.exists():
            self.sim.write_kubeconfig(path, token=self.cp.tokens[user], namespace=namespace)
        return path

    def real_request(self, target: str, headers: Mapping[str, str], **kw: Any) -> Reply:
        """One raw request to the real server: (status, headers, body); `user` any token user, or a
        name that is not one (its token is then invalid: a 401)."""
        return _request(self.cp.url, self.cp.ca_file.read_text(), self.cp.tokens, target, headers, **kw)

    def sim_request(self, target: str, headers: Mapping[str, str], **kw: Any) -> Reply:
        """The same request to the simulated cluster (same tokens)."""
        return _request(self.sim.url, self.sim.ca_pem or "", self.cp.tokens, target, headers, **kw)


Reply = tuple[int, dict[str, str], bytes]


def _request(
    url: str,
    ca: str,
    tokens: Mapping[str, str],
    target: str,
    headers: Mapping[str, str],
    *,
    user: str = "admin",
    method: str = "GET",
    body: Any = None,
) -> Reply:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + target, data=data, method=method)
    req.add_header("Authorization", f"Bearer {tokens.get(user, 'not-a-token')}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in headers.items():
        req.add_header(k, v)
    ctx = ssl.create_default_context(cadata=ca)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=60) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def sim_rules(role: dict, namespaces: Sequence[str] | None = None) -> list[Rule]:
    """A ClusterRole's rules as the simulated cluster's authorizer takes them."""
    out = []
    for r in role["rules"]:
        resources = tuple(
            f"{res}.{group}" if group else res for group in r.get("apiGroups", [""]) for res in r["resources"]
        )
        out.append(Rule(tuple(r["verbs"]), resources, None if namespaces is None else tuple(namespaces)))
    return out


def oom_killed_pod(cluster: Cluster) -> dict:
    """The first pod with a container whose last termination was OOMKilled."""
    return next(
        p
        for p in cluster.list("pods")
        if any(
            cs.get("lastState", {}).get("terminated", {}).get("reason") == "OOMKilled"
            for cs in p["status"].get("containerStatuses", [])
        )
    )


def system_oom_event(cluster: Cluster) -> dict:
    """A node's SystemOOM event at the moment a container of `oom_killed_pod` was killed, so explain
    has node events to find (through a field selector on involvedObject)."""
    pod = oom_killed_pod(cluster)
    node = cluster.get("nodes", pod["spec"]["nodeName"])
    assert node is not None
    finished = next(
        cs["lastState"]["terminated"]["finishedAt"]
        for cs in pod["status"]["containerStatuses"]
        if cs.get("lastState", {}).get("terminated", {}).get("reason") == "OOMKilled"
    )
    at = datetime.fromisoformat(finished.replace("Z", "+00:00"))
    name = node["metadata"]["name"]
    return make_event(
        node, "SystemOOM", "System OOM encountered, victim process: java, pid: 4242", last=at, host=name
    )


def bind(cp: ControlPlane, user: str, role: str, namespace: str | None) -> None:
    kind = "RoleBinding" if namespace else "ClusterRoleBinding"
    path = (
        f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings"
        if namespace
        else "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"
    )
    cp.apply(
        path,
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": kind,
            "metadata": {"name": f"{role}-{user}"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
        },
    )


def plugin_env(kubeconfig: Path) -> dict[str, str]:
    bindir = Path(sys.executable).parent
    assert (bindir / "kubectl-mem").exists(), "kubectl-mem must be installed in the test environment"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env.update(PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}", KUBECONFIG=str(kubeconfig))
    return env


def mem(kubeconfig: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`kubectl mem ARGS` through the real kubectl binary (which runs kubectl-mem from PATH)."""
    return subprocess.run(
        ["kubectl", "mem", *args],
        env=plugin_env(kubeconfig),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
