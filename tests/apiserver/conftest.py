"""Fixtures of the real-apiserver tier (what they hold: apiworld.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import yaml
from apiworld import LIMITED_NAMESPACES, RBAC, World, bind, sim_rules, system_oom_event
from envtest import ControlPlane, free_port
from metrics_server import MetricsServer
from mirror import load

from kubectl_mem.sim import Auth, Rule, SimServer, generate
from kubectl_mem.sim.podlife import install as install_podlife
from kubectl_mem.sim.server import ApiError, RequestContext, Response


@pytest.fixture(scope="session")
def world(control_plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    # now: events and restarts are recent, as explain expects them (it looks for events near a kill)
    cluster = generate(seed=7, nodes=4, pods=60, now=datetime.now(UTC))
    cluster.add_event(system_oom_event(cluster))
    loaded = load(control_plane, cluster)
    home = tmp_path_factory.mktemp("world")
    r = subprocess.run(
        ["kubectl", "--kubeconfig", str(control_plane.kubeconfig()), "--cache-dir", str(home / "cache")]
        + ["apply", "-f", str(RBAC)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    bind(control_plane, "viewer", "kubectl-mem-readonly", None)
    for ns in LIMITED_NAMESPACES:
        bind(control_plane, "limited", "kubectl-mem-readonly", ns)
    readonly = yaml.safe_load((RBAC / "kubectl-mem-readonly.yaml").read_text())
    t = control_plane.tokens
    auth = Auth(
        {
            t["admin"]: ("admin", [Rule()]),
            t["viewer"]: ("viewer", sim_rules(readonly)),
            t["limited"]: ("limited", sim_rules(readonly, LIMITED_NAMESPACES)),
            t["nobody"]: ("nobody", []),
        }
    )
    sim = SimServer(cluster, auth=auth).start()
    install_podlife(sim)  # collector pods run in the simulated cluster (the real one has no kubelet)
    metrics = MetricsServer(control_plane, cluster).start()
    refuse_node_proxy(sim)
    try:
        yield World(control_plane, cluster, loaded, sim, metrics, home)
    finally:
        metrics.stop()
        sim.stop()


def refuse_node_proxy(sim: SimServer) -> None:
    """nodes/NAME/proxy/... answered as the real apiserver of this tier answers it: its nodes have no
    kubelet it may dial (mirror._on_loopback), so after authorization (403 first, as there) an existing
    node is a 400 'address not allowed' (a missing one 404). The Summary API fill-in and the collector's
    fallback then take the same path on both."""

    def refuse(ctx: RequestContext) -> Response:
        if ctx.cluster.get_entry("nodes", ctx.params["name"]) is None:
            raise ApiError.not_found("nodes", ctx.params["name"])
        raise ApiError(400, "BadRequest", "address not allowed")

    sim.router.add(
        "GET", "/api/v1/nodes/{name}/proxy/{path}", refuse, verb="get", resource="nodes", subresource="proxy"
    )


@pytest.fixture
def metrics_api(world: World) -> World:
    """The metrics API is served (the APIService registered, the metrics server answering)."""
    world.metrics.register()
    world.sim.faults.metrics = "available"
    return world


@pytest.fixture
def no_metrics_api(world: World) -> Iterator[World]:
    """No APIService for metrics.k8s.io: a cluster without metrics-server."""
    world.metrics.unregister()
    world.sim.faults.metrics = "absent"
    yield world
    world.sim.faults.metrics = "available"


@pytest.fixture
def broken_metrics_api(world: World) -> Iterator[World]:
    """An APIService whose server does not answer (metrics-server down): the aggregator's 503."""
    world.metrics.register(port=free_port(), want=503)
    world.sim.faults.metrics = "unavailable"
    yield world
    world.sim.faults.metrics = "available"
    world.metrics.unregister()
