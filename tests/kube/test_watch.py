"""The reflector behind the interactive view: list once, then watch; resume, relist, back off."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from kubectl_mem.errors import ForbiddenError
from kubectl_mem.kube import codecs
from kubectl_mem.kube.config import connect
from kubectl_mem.kube.http import Transport
from kubectl_mem.kube.protocol import PROTOCOLS
from kubectl_mem.kube.watch import Reflector
from kubectl_mem.sim import Auth, Rule, make_node, make_pod


def eventually(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


@pytest.fixture
def transport(sim):
    conn = connect(kubeconfig=str(sim.kubeconfig))
    yield Transport(conn, sleep=lambda s: None)
    conn.close()


@pytest.fixture
def reflect(transport):
    started: list[Reflector] = []

    def make(
        path: str = "/api/v1/pods", protocol: str = "protobuf", t: Transport | None = None, **kw
    ) -> Reflector:
        codec = (codecs.PODS if "pods" in path else codecs.NODES)[protocol]
        r = Reflector(t or transport, path, [], codec, key=lambda x: getattr(x, "key", None) or x.name, **kw)
        started.append(r.start())
        assert r.wait_synced(10)
        return r

    yield make
    for r in started:
        r.stop()


def lists(sim) -> list:
    return [r for r in sim.requests if r.path == "/api/v1/pods" and r.query.get("watch") != "1"]


def watches(sim) -> list:
    return [r for r in sim.requests if r.path == "/api/v1/pods" and r.query.get("watch") == "1"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_changes_arrive_without_listing_again(sim, reflect, protocol):
    r = reflect(protocol=protocol)
    assert {p.key for p in r.items()} == {
        f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in sim.cluster.list("pods")
    }
    victim = sim.cluster.list("pods")[3]["metadata"]
    sim.cluster.delete("pods", victim["name"], victim["namespace"])
    sim.cluster.add_pod(make_pod("newcomer", "team-ads", "node-1"))
    eventually(lambda: r.state.events == 2)
    keys = {p.key for p in r.items()}
    assert f"{victim['namespace']}/{victim['name']}" not in keys and "team-ads/newcomer" in keys
    # one streaming list that went on as the watch: no LIST, no second request at all
    assert lists(sim) == [] and len(watches(sim)) == 1


def test_a_dropped_watch_resumes_from_the_last_bookmark(sim, reflect):
    sim.bookmark_seconds = 0.1
    r = reflect(backoff=(0.01, 0.05))
    sim.cluster.add_node(make_node("node-new"))  # moves the resourceVersion on, pods untouched
    rv_after = str(sim.cluster.resource_version)
    eventually(lambda: r.rv == rv_after)  # learnt from a bookmark
    assert sim.drop_watches() == 1
    eventually(lambda: len(watches(sim)) == 2 and r.state.connected)
    resumed = watches(sim)[1].query
    assert resumed["resourceVersion"] == rv_after and "sendInitialEvents" not in resumed
    assert r.state.relists == 0


def test_410_gone_lists_again(sim, reflect):
    r = reflect(backoff=(0.01, 0.05))
    sim.cluster.compact()  # the watch's resourceVersion is forgotten
    sim.drop_watches()
    sim.cluster.add_pod(make_pod("after-compaction", "team-ads", "node-1"))
    eventually(lambda: r.state.relists == 1 and r.state.connected)
    assert "team-ads/after-compaction" in {p.key for p in r.items()}
    assert [w.query.get("sendInitialEvents") for w in watches(sim)] == ["true", None, "true"]


def test_a_failing_server_is_retried_with_back_off_said_in_the_state(sim, reflect):
    r = reflect(backoff=(0.2, 0.4))
    sim.faults.fail(3, status=500, path_prefix="/api/v1/pods")
    sim.drop_watches()
    eventually(lambda: "500" in r.state.error)
    assert not r.state.connected and r.state.retry_at is not None
    eventually(lambda: r.state.connected)
    assert r.state.error == "" and r.state.retry_at is None and r.state.relists == 0
    failed = [w.status for w in watches(sim)]
    assert failed.count(500) == 3 and failed[-1] == 200


def test_allowed_to_list_but_not_to_watch_lists_at_each_poll(sim_factory, tmp_path):
    srv = sim_factory(auth=Auth({"t": ("lister", [Rule(verbs=("list", "get"))])}))
    kc = srv.write_kubeconfig(tmp_path / "kc", token="t")
    conn = connect(kubeconfig=str(kc))
    try:
        r = Reflector(
            Transport(conn),
            "/api/v1/pods",
            [],
            codecs.PODS["protobuf"],
            key=lambda p: p.key,
            poll_seconds=0.2,
        )
        r.start()
        assert r.wait_synced(10) and len(r.items()) == len(srv.cluster.list("pods"))
        srv.cluster.add_pod(make_pod("seen-by-polling", "team-ads", "node-1"))
        eventually(lambda: "team-ads/seen-by-polling" in {p.key for p in r.items()})
        assert "no watch" in r.state.error and not r.state.connected
        r.stop()
    finally:
        conn.close()


def test_a_first_list_that_fails_is_raised(sim_factory, tmp_path):
    srv = sim_factory(auth=Auth({"t": ("nobody", [])}))
    conn = connect(kubeconfig=str(srv.write_kubeconfig(tmp_path / "kc", token="t")))
    try:
        r = Reflector(Transport(conn), "/api/v1/pods", [], codecs.PODS["json"], key=lambda p: p.key).start()
        with pytest.raises(ForbiddenError):
            r.wait_synced(10)
    finally:
        conn.close()
