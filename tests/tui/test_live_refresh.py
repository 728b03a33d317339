"""The interactive view lists once, then watches: a change in the cluster shows at the next refresh
without any pod being listed again; only metrics are fetched per refresh; a lost watch is said in
the header and the view comes back by itself."""

from __future__ import annotations

import copy
import datetime as dt
import time
from collections.abc import Callable

import pytest
from tui_factories import fixed_clock, screen_text, settle

from kubectl_mem.kube.snapshot_source import SnapshotSource
from kubectl_mem.sim import DEFAULT_NOW, generate, oom_killed
from kubectl_mem.tui.app import make_app
from kubectl_mem.tui.config import Settings

SIZE = (160, 48)


def _wait_until(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    """Waits for what the watch threads do in the background, however loaded the machine."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out after {timeout:g}s waiting for {what}"
        time.sleep(0.02)


def _core_requests(srv) -> list:
    return [r for r in srv.requests if r.path in ("/api/v1/pods", "/api/v1/nodes")]


def _oom_restart(srv, pod: dict) -> None:
    """The kubelet's report of one more OOM kill of the pod's first container."""
    new = copy.deepcopy(pod)
    new["metadata"].pop("resourceVersion", None)
    cs = new["status"]["containerStatuses"][0]
    cs["restartCount"] = cs.get("restartCount", 0) + 1
    cs["lastState"] = oom_killed(DEFAULT_NOW - dt.timedelta(seconds=30))
    srv.cluster.put("pods", new)


async def _changes_show_without_listing_again(srv, pilot, app) -> None:
    await settle(pilot)
    assert app.data.fetched is not None
    listed = len(_core_requests(srv))
    watches = [r for r in _core_requests(srv) if r.query.get("watch") == "1"]
    assert sorted(r.path for r in watches) == ["/api/v1/nodes", "/api/v1/pods"]  # one watch each
    pods = srv.cluster.list("pods")
    gone = next(p for p in pods if p["status"].get("phase") == "Running")["metadata"]
    target = next(
        p for p in pods if p["status"].get("containerStatuses") and p["metadata"]["name"] != gone["name"]
    )
    restarts = target["status"]["containerStatuses"][0].get("restartCount", 0)
    srv.cluster.delete("pods", gone["name"], gone["namespace"])
    _oom_restart(srv, target)
    # the events travel while the view waits for its next refresh (as long as they take)
    live = app.refresher.source._live
    gone_key = f"{gone['namespace']}/{gone['name']}"
    target_key = f"{target['metadata']['namespace']}/{target['metadata']['name']}"

    def arrived() -> bool:
        watched = {p.key: p for p in live._pods.items()}
        return gone_key not in watched and any(
            s.restart_count == restarts + 1 for s in watched[target_key].statuses
        )

    _wait_until("the watch to bring the deletion and the restart", arrived)
    app.refresher.tick()
    await settle(pilot)
    shown = {p.pod.key: p for p in app.data.fetched.loaded.shown}
    assert f"{gone['namespace']}/{gone['name']}" not in shown
    view = shown[f"{target['metadata']['namespace']}/{target['metadata']['name']}"]
    status = view.pod.statuses[-len(target["status"]["containerStatuses"])]
    assert status.restart_count == restarts + 1
    assert status.last_termination is not None and status.last_termination.reason == "OOMKilled"
    assert len(_core_requests(srv)) == listed  # nothing listed again
    metrics = [r for r in srv.requests if r.path.startswith("/apis/metrics.k8s.io")]
    assert len(metrics) >= 4  # pod and node metrics at each of the two refreshes
    assert "watching" in screen_text(app)


async def test_a_change_shows_at_the_next_refresh_without_listing_again(sim_factory) -> None:
    srv = sim_factory()
    app = make_app(
        SnapshotSource(kubeconfig=str(srv.kubeconfig), all_namespaces=True),
        Settings(refresh=3600),
        fixed_clock,
    )
    async with app.run_test(size=SIZE) as pilot:
        await _changes_show_without_listing_again(srv, pilot, app)


@pytest.mark.slow
async def test_at_20000_pods_a_change_shows_without_listing_again(sim_factory) -> None:
    srv = sim_factory(generate(seed=1, nodes=200, pods=20_000, now=DEFAULT_NOW))
    app = make_app(
        SnapshotSource(kubeconfig=str(srv.kubeconfig), all_namespaces=True),
        Settings(refresh=3600),
        fixed_clock,
    )
    async with app.run_test(size=SIZE) as pilot:
        await _changes_show_without_listing_again(srv, pilot, app)


async def test_a_lost_watch_is_said_in_the_header_and_comes_back(sim_factory) -> None:
    srv = sim_factory()
    app = make_app(
        SnapshotSource(kubeconfig=str(srv.kubeconfig), all_namespaces=True),
        Settings(refresh=3600),
        fixed_clock,
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        srv.faults.fail(2, status=503, path_prefix="/api/v1/pods")
        srv.drop_watches()
        live = app.refresher.source._live
        _wait_until("the view to see its watch lost", lambda: not live.state().watching)
        app.refresher.tick()
        await settle(pilot)
        text = screen_text(app)
        assert "watch lost, reconnecting" in text and "was cut" in text
        gone = srv.cluster.list("pods")[0]["metadata"]
        srv.cluster.delete("pods", gone["name"], gone["namespace"])
        gone_key = f"{gone['namespace']}/{gone['name']}"
        _wait_until(
            "the watch to come back with the deletion",
            lambda: live.state().watching and gone_key not in {p.key for p in live._pods.items()},
        )
        app.refresher.tick()
        await settle(pilot)
        assert "watching" in screen_text(app)
        assert f"{gone['namespace']}/{gone['name']}" not in {p.pod.key for p in app.data.fetched.loaded.shown}
        # resumed from where it was: the change made while it was down came as an event, not a list
        assert app.refresher.source._live.state().relists == 0


async def test_namespace_view_keeps_the_other_pods_of_its_nodes_for_eviction_ranks(sim_factory) -> None:
    srv = sim_factory()
    app = make_app(
        SnapshotSource(kubeconfig=str(srv.kubeconfig), namespace="team-search"),
        Settings(refresh=3600),
        fixed_clock,
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        loaded = app.data.fetched.loaded
        assert loaded.shown and {p.pod.namespace for p in loaded.shown} == {"team-search"}
        nodes = {p.pod.node for p in loaded.shown}
        others = {p.pod.key for p in loaded.snapshot.pods if p.pod.namespace != "team-search"}
        expected = {
            f"{p['metadata']['namespace']}/{p['metadata']['name']}"
            for p in srv.cluster.list("pods")
            if p["spec"].get("nodeName") in nodes and p["metadata"]["namespace"] != "team-search"
        }
        assert others == expected
