"""`:workloads` in the interactive view, driven by Textual's pilot: the rows `kubectl mem workloads`
prints, Enter to a workload's pods and on to a pod, `:ns` scoping, the session's samples feeding the
recommendation, and the owners listed only once the screen is wanted (simulated cluster)."""

from __future__ import annotations

import msgspec
import pytest
from test_pilot import type_text
from tui_factories import (
    TAKEN_AT,
    Gi,
    Mi,
    SteppingClock,
    _pod,
    cgroups_of_node_a,
    fixed_clock,
    loaded,
    screen_text,
    settle,
)

from kubectl_mem.kube.snapshot_source import Loaded, SnapshotSource
from kubectl_mem.model.owners import Owners
from kubectl_mem.model.records import ContainerUsage, Controller, Node, NodeUsage, PodUsage
from kubectl_mem.model.snapshot import build_snapshot
from kubectl_mem.model.workloads import rollup
from kubectl_mem.report.fmt import size
from kubectl_mem.sim import DEFAULT_NOW, generate
from kubectl_mem.tui.app import KubectlMemApp, make_app
from kubectl_mem.tui.config import Settings
from kubectl_mem.tui.data_sources import FixedSource
from kubectl_mem.tui.screens.pod_detail import PodDetailScreen
from kubectl_mem.tui.screens.workloads import WorkloadDetailScreen, WorkloadsScreen
from kubectl_mem.tui.widgets.pod_table import PodTable
from kubectl_mem.tui.widgets.workload_table import WorkloadTable

SIZE = (160, 40)


def with_owners(base: Loaded) -> Loaded:
    """The fixture's pods are owned by ReplicaSets `<pod>-rs`; each belongs to Deployment `<pod name
    without its last part>` (api-7f9c -> api), as the listed ReplicaSets say."""
    controllers = [
        Controller(
            "ReplicaSet", p.pod.namespace, p.pod.owner_name, "Deployment", p.pod.name.rsplit("-", 1)[0]
        )
        for p in base.shown
    ]
    return Loaded(base.snapshot, base.shown, base.problems, Owners(controllers))


async def open_workloads(pilot) -> None:
    await pilot.press("colon")
    await type_text(pilot, "wl")
    await pilot.press("enter")
    await settle(pilot)


def rows_of(app: KubectlMemApp) -> list[str]:
    return [r.name for r in app.screen.query_one(WorkloadTable).state.rows]


async def test_the_rows_of_the_cli_the_most_idle_first_then_pods_then_a_pod() -> None:
    app = make_app(FixedSource(lambda: with_owners(loaded())), Settings(), fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_workloads(pilot)
        assert isinstance(app.screen, WorkloadsScreen)
        base = with_owners(loaded())
        want = rollup(base.shown, base.owners, base.snapshot.nodes)  # type: ignore[arg-type]
        assert rows_of(app) == [r.name for r in want.rows]
        assert rows_of(app)[0] == "report"  # 512Mi requests, 100Mi working set: the most idle
        text = screen_text(app)
        assert "workloads(all)[7]" in text and "sort IDLE↓" in text
        assert f"requests {size(want.totals.requested)}" in text  # the totals line
        report = next(line for line in text.splitlines() if " report " in line)
        assert "412Mi" in report and "80%" in report  # IDLE, IDLE%
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, WorkloadDetailScreen)
        text = screen_text(app)
        assert "deployment/report  namespace batch  pods 1" in text
        assert "report-1" in text and "kubectl set resources deployment/report -n batch -c=report" in text
        n = len(app.samples.times)  # the first load, and the one :workloads asked for
        assert f"up to {n} working-set samples of each of 1 replica" in text  # what it rests on
        assert "one working-set sample" not in text  # steady usage: still the samples, not one
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PodDetailScreen) and "report-1" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, WorkloadsScreen)


async def test_the_detail_says_the_recommendation_as_explain_and_the_command_do() -> None:
    """10.6 in the interactive view: an unchanged limit read `limit 512Mi → 512Mi` (a change), and a
    value went through the table's formatter (`1.2Gi`) next to the command's exact `1216Mi`."""
    app = make_app(FixedSource(lambda: with_owners(loaded())), Settings(), fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_workloads(pilot)
        assert rows_of(app)[0] == "report"
        await pilot.press("enter")
        await settle(pilot)
        assert "report: request 512Mi → 120Mi, limit 512Mi (unchanged)" in screen_text(app)
        await pilot.press("escape", "slash")
        await type_text(pilot, "etl")
        await pilot.press("enter", "enter")
        await settle(pilot)
        text = screen_text(app)
        assert "etl: request none → 1088Mi, limit none → 1216Mi" in text
        assert "--requests=memory=1088Mi --limits=memory=1216Mi" in text


async def test_sort_keys_filter_and_ns_scoping_stay_on_workloads() -> None:
    app = make_app(FixedSource(lambda: with_owners(loaded())), Settings(), fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_workloads(pilot)
        await pilot.press("N")  # by name
        await settle(pilot)
        assert rows_of(app) == sorted(rows_of(app))
        await pilot.press("slash")
        await type_text(pilot, "shop/")
        await pilot.press("enter")
        await settle(pilot)
        assert rows_of(app) == ["api", "cart", "web"]
        await pilot.press("escape")
        await pilot.press("colon")
        await type_text(pilot, "ns kube-system")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, WorkloadsScreen)
        assert sorted(rows_of(app)) == ["coredns", "metrics-server"]
        assert "workloads(kube-system)" in screen_text(app)


async def test_samples_taken_while_open_feed_the_recommendation_and_say_how_many() -> None:
    scale = [1.0]
    app = make_app(FixedSource(lambda: with_owners(loaded(scale=scale[0]))), Settings(), SteppingClock(60))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_workloads(pilot)
        for s in (1.5, 1.0):  # a peak the current sample no longer shows
            scale[0] = s
            app.refresher.tick()
            await settle(pilot)
        rows = {r.name: r for r in app.screen.query_one(WorkloadTable).state.all}
        (c,) = rows["report"].recommendation.recommendation.containers  # type: ignore[union-attr]
        assert c.usage == 150 * Mi and c.basis == "peak"  # 1.5 x 100Mi, not the 100Mi of now
        n = len(app.samples.times)
        assert n == 4 and rows["report"].recommendation.samples == n  # type: ignore[union-attr]
        assert f"REC REQUEST, REC LIMIT rest on the highest working set of each replica in up to {n} " in (
            screen_text(app)
        )
        await pilot.press("enter")
        await settle(pilot)
        assert "up to 4 working-set samples of each of 1 replica" in screen_text(app)


@pytest.mark.slow
async def test_owners_are_listed_only_once_the_screen_is_wanted(sim_factory) -> None:
    srv = sim_factory(generate(seed=7, nodes=6, pods=74, now=DEFAULT_NOW))
    app = make_app(
        SnapshotSource(kubeconfig=str(srv.kubeconfig), all_namespaces=True), Settings(), fixed_clock
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not [r for r in srv.requests if r.path.startswith(("/apis/apps", "/apis/batch"))]
        await open_workloads(pilot)
        await settle(pilot)
        owner_lists = [r for r in srv.requests if r.path.startswith(("/apis/apps", "/apis/batch"))]
        assert {r.path for r in owner_lists} >= {"/apis/apps/v1/replicasets", "/apis/batch/v1/jobs"}
        rs = next(r for r in owner_lists if r.path == "/apis/apps/v1/replicasets")
        assert "as=PartialObjectMetadataList" in rs.headers["accept"]
        assert rows_of(app)[0] == "recommender"
        # the next refresh does not list them again: nothing new owns a pod
        srv.clear_requests()
        app.refresher.tick()
        await settle(pilot)
        assert not [r for r in srv.requests if r.path.startswith(("/apis/apps", "/apis/batch"))]
        await pilot.press("enter")
        await settle(pilot)
        assert "deployment/recommender  namespace team-search  pods 2/2" in screen_text(app)


def _api_with_an_evicted_replica() -> Loaded:
    """Deployment api (ReplicaSet api-5d4f) in shop: a live replica and an evicted one (history)."""
    live = msgspec.structs.replace(
        _pod("shop", "api-5d4f-a1", "node-a", [("api", 256 * Mi, 512 * Mi)]), owner_name="api-5d4f"
    )
    evicted = msgspec.structs.replace(
        live,
        name="api-5d4f-x2",
        uid="uid-evicted",
        phase="Failed",
        reason="Evicted",
        message="The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi. ",
        statuses=(),
    )
    snap = build_snapshot(
        [live, evicted],
        [Node("node-a", 4 * Gi, 3 * Gi)],
        [PodUsage("shop", "api-5d4f-a1", (ContainerUsage("api", 300 * Mi),))],
        [NodeUsage("node-a", 2 * Gi)],
        taken_at=TAKEN_AT,
    )
    owners = Owners([Controller("ReplicaSet", "shop", "api-5d4f", "Deployment", "api")])
    return Loaded(snap, list(snap.pods), [], owners)


def _pod_rows(app: KubectlMemApp) -> list[str]:
    return [ln.split()[0] for ln in screen_text(app).splitlines() if ln.startswith("api-5d4f-")]


async def test_enter_shows_the_pods_view_filtered_to_the_workload_with_its_keys() -> None:
    """The workload's pods are the pods view narrowed to them: key t hides its ended pods, and the
    kernel's columns (key c) join its table as they join the pods view's."""
    app = make_app(FixedSource(_api_with_an_evicted_replica()), Settings(), fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pods_header = app.screen.query_one(PodTable).state.columns
        await open_workloads(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, WorkloadDetailScreen)
        assert "deployment/api  namespace shop  pods 1" in screen_text(app)
        assert sorted(_pod_rows(app)) == ["api-5d4f-a1", "api-5d4f-x2"]
        assert [c.key for c in app.screen.query_one(PodTable).state.columns] == [c.key for c in pods_header]
        await pilot.press("t")
        await settle(pilot)
        assert _pod_rows(app) == ["api-5d4f-a1"]
        assert "ended pods hidden (t)" in screen_text(app)
        await pilot.press("t")
        await settle(pilot)
        assert len(_pod_rows(app)) == 2
        app.cgroups.overlay = cgroups_of_node_a()
        app.refresher.tick()
        await settle(pilot)
        keys = [c.key for c in app.screen.query_one(PodTable).state.columns]
        assert len(keys) > len(pods_header) and "pct_limit" in keys


async def test_a_narrow_terminal_gives_up_the_daemonset_columns_before_limits() -> None:
    """PER NODE and %NODE ALLOC say something of DaemonSets only: at 110 columns LIMITS stays, they go."""
    app = make_app(FixedSource(lambda: with_owners(loaded())), Settings(), fixed_clock)
    async with app.run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        await open_workloads(pilot)
        (header,) = [ln for ln in screen_text(app).splitlines() if ln.startswith("KIND ")]
        assert " LIMITS " in header and "IDLE" in header
        assert "PER NODE" not in header and "%NODE ALLOC" not in header
