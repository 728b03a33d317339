"""Key `c` in the interactive view, driven by Textual's pilot against the simulated cluster with the
collector pod lifecycle installed: the real kube/ code over HTTP, the real collector script against
the nodes' synthetic cgroup trees. What the user sees, and that no collector pod is left behind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from tui_factories import fixed_clock, loaded, screen_text, settle, until

from kubectl_mem.kube.collector import MANAGED_BY, MANAGED_BY_LABEL
from kubectl_mem.kube.snapshot_source import SnapshotSource
from kubectl_mem.report.fmt import size
from kubectl_mem.sim import SimServer
from kubectl_mem.sim.podlife import PodLife, install
from kubectl_mem.tui.app import KubectlMemApp, make_app
from kubectl_mem.tui.config import Settings
from kubectl_mem.tui.data_sources import FixedSource
from kubectl_mem.tui.screens.help import HelpScreen
from kubectl_mem.tui.screens.node_detail import NodeDetailScreen
from kubectl_mem.tui.screens.nodes import NodesScreen
from kubectl_mem.tui.screens.pod_detail import PodDetailScreen
from kubectl_mem.tui.widgets.bars import BreakdownBar
from kubectl_mem.tui.widgets.table import LineTable

SIZE = (200, 70)  # wide enough to keep NODE next to STATUS and the kernel's columns
KEYS = {"/": "slash", "-": "minus", ":": "colon"}


@pytest.fixture
def cluster(sim_factory) -> Iterator[tuple[SimServer, PodLife]]:
    srv = sim_factory()
    life = install(srv)
    life.step_s = 0.02
    yield srv, life


def collector_pods(srv: SimServer) -> list[dict[str, Any]]:
    return [
        p
        for p in srv.cluster.list("pods")
        if (p["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL) == MANAGED_BY
    ]


def app_on(srv: SimServer, **settings: Any) -> KubectlMemApp:
    source = SnapshotSource(kubeconfig=str(srv.kubeconfig), all_namespaces=True)
    return make_app(source, Settings(**settings), fixed_clock)


def notes(app: KubectlMemApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


def modelled_pod(srv: SimServer) -> tuple[dict[str, Any], dict[str, int]]:
    """A running pod whose containers all have a cgroup in the sim's tree; anon per container."""
    for pod in srv.cluster.list("pods"):
        st = pod["status"]
        statuses = st.get("containerStatuses") or []
        if st.get("phase") != "Running" or st.get("initContainerStatuses") or not statuses:
            continue
        usage = srv.cluster.pod_usage(pod["metadata"]["namespace"], pod["metadata"]["name"])
        if usage is None or not all("running" in cs["state"] for cs in statuses):
            continue
        if set(usage[0]) != {cs["name"] for cs in statuses}:
            continue
        anon = {name: min(u.filled().rss, u.filled().working_set) for name, u in usage[0].items()}
        return pod, anon
    raise AssertionError("no fully modelled pod")


async def type_keys(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(KEYS.get(ch, ch))


async def test_c_in_the_pod_detail_draws_the_cgroup_breakdown_and_leaves_no_pod(cluster) -> None:
    srv, life = cluster
    pod, anon = modelled_pod(srv)
    name, node = pod["metadata"]["name"], pod["spec"]["nodeName"]
    app = app_on(srv)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_keys(pilot, f"/{name}")
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PodDetailScreen)
        assert f"kernel: press c to read this pod's cgroups on {node}" in screen_text(app)
        await pilot.press("c")
        await settle(pilot)
        text = screen_text(app)
        assert f"kernel: cgroups of the pod on {node}" in text
        bars = {b.label: b for b in app.screen.query(BreakdownBar)}
        assert set(bars) == {*anon, "(pod)"}
        for container, want in anon.items():
            line = next(
                ln for ln in text.splitlines() if ln.lstrip().startswith(container + " ") and "anon" in ln
            )
            assert f"anon {size(want)}" in line
            assert "█" in line  # the anon part of the bar
        assert any(f"{node}: memory.available" in n for n in notes(app))
    assert [p["spec"]["nodeName"] for p in life.created] == [node]
    assert collector_pods(srv) == []


def table_rows(app: KubectlMemApp) -> dict[str, dict[str, str]]:
    """The screen's table as drawn: first cell -> {column title: cell}, cut where its layout puts
    each column."""
    table = app.screen.query_one(LineTable)
    layout = table.layout()
    out = {}
    for line in app.screen.query_one(LineTable).render_lines(table.region.reset_offset)[1:]:
        text, x, cells = line.text, 0, {}
        for _, width, title in layout:
            cells[title] = text[x : x + width].strip()
            x += width + 1
        if text.strip():
            out[cells[layout[0][2]] if layout[0][2] != "NAMESPACE" else cells["NAME"]] = cells
    return out


async def test_c_on_the_pods_and_nodes_screens(cluster) -> None:
    srv, life = cluster
    nodes = sorted(n["metadata"]["name"] for n in srv.cluster.list("nodes"))
    app = app_on(srv)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "c Cgroups" in screen_text(app)  # in the footer
        await pilot.press("c")
        await settle(pilot)
        (first,) = [p["spec"]["nodeName"] for p in life.created]
        overlay = app.cgroups.overlay
        assert overlay is not None and set(overlay.nodes) == {first}
        # the kernel's columns join the table, as `top --cgroups` prints them, after %LIMIT
        rows = table_rows(app)
        titles = list(next(iter(rows.values())))
        at = titles.index("%LIMIT")
        # (SHMEM and PEAK are wide: they go first when the terminal is narrow, as without -o wide)
        assert titles[at + 1 : at + 6] == ["ANON", "FILE", "KERNEL", "RECLAIMABLE", "OOM-KILLS"]
        seen = 0
        for p in app.data.fetched.loaded.shown:
            cells = rows.get(p.pod.name)
            pc = overlay.pod(p.pod.uid)
            if cells is None or p.pod.node != first or pc is None:
                continue
            f = pc.figures
            assert (cells["ANON"], cells["RECLAIMABLE"]) == (size(f.anon), size(f.reclaimable)), p.pod.name
            assert cells["OOM-KILLS"] == str(f.oom_kills)
            seen += 1
        assert seen
        elsewhere = next(c for n, c in rows.items() if c["NODE"] not in (first, "<none>"))
        assert elsewhere["ANON"] == "-"  # its node was not read: unknown, not 0
        await pilot.press("colon")
        await type_keys(pilot, "nodes")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, NodesScreen)
        rows = table_rows(app)
        assert rows[first]["AVAILABLE FROM"] == "cgroup"  # the node read on the pods screen
        assert all(r["AVAILABLE FROM"] == "metrics" for n, r in rows.items() if n != first)
        await pilot.press("c")
        await settle(pilot)
        assert sorted(p["spec"]["nodeName"] for p in life.created[1:]) == nodes
        assert sorted(app.cgroups.overlay.nodes) == nodes
        # AVAILABLE and HEADROOM are now each node's own memory.available, as `nodes --cgroups`
        threshold = {n.node.name: n.threshold for n in app.data.fetched.loaded.snapshot.nodes}
        for name, cells in table_rows(app).items():
            own = app.cgroups.overlay.nodes[name]
            assert cells["AVAILABLE FROM"] == "cgroup"
            assert cells["AVAILABLE"] == size(own.memory_available)
            assert cells["HEADROOM"] == size(own.memory_available - threshold[name])
        assert any(n.startswith(f"cgroups of {len(nodes)} of {len(nodes)} nodes in ") for n in notes(app))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, NodeDetailScreen)
        shown = app.screen.node_name
        own = app.cgroups.overlay.nodes[shown]
        assert f"kernel memory.available {size(own.memory_available)} (the node's own" in screen_text(app)
    assert collector_pods(srv) == []


async def test_keys_work_while_it_collects_and_quitting_deletes_the_pods(cluster) -> None:
    srv, life = cluster
    life.step_s = 1.0  # slow kubelet: the pods live for seconds
    app = app_on(srv)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await type_keys(pilot, "nodes")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("c")
        deadline = time.monotonic() + 60
        while not collector_pods(srv):
            assert time.monotonic() < deadline, "no collector pod appeared"
            await pilot.pause(0.05)
        assert app.cgroups.running
        await pilot.press("j", "question_mark")  # the keyboard is not blocked
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("c")  # ignored on help; on a data screen it would say "already collecting"
        await pilot.press("escape", "c")
        await pilot.pause()
        assert any("already collecting the cgroups of" in n for n in notes(app))
        await pilot.press("q")
    assert life.created and collector_pods(srv) == []
    assert {d[1] for d in life.deletes} >= {
        p["metadata"]["name"] for p in life.created if "name" in p["metadata"]
    }


async def test_a_failure_is_a_readable_message(cluster) -> None:
    srv, life = cluster
    life.psa["kubectl-mem"] = "baseline"  # the default collector namespace
    app = app_on(srv)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter", "c")
        await settle(pilot)
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and "rejects the collector pod" in errors[0].message
        assert "kernel: not collected:" in screen_text(app) and "Pod Security" in screen_text(app)
        assert app.is_running
    assert collector_pods(srv) == []


async def test_a_fixed_snapshot_says_it_has_no_cluster_and_the_key_can_be_remapped() -> None:
    app = make_app(FixedSource(loaded()), Settings(keymap={"collect-cgroups": "K"}), fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("K")
        await settle(pilot)
        assert notes(app) == ["cgroups: cgroups need a live cluster: this view shows a fixed snapshot"]
        await pilot.press("question_mark")
        text = screen_text(app)
        line = next(ln for ln in text.splitlines() if "Cgroups" in ln and "│" in ln)
        assert line.strip("│ ").split()[:2] == ["K", "Cgroups"]


async def test_top_cgroups_on_a_terminal_collects_after_the_first_load(cluster) -> None:
    from kubectl_mem.kube.collector_run import CollectingSource, CollectorOptions
    from kubectl_mem.tui.data_sources import ClusterSource

    srv, life = cluster
    options = CollectorOptions(image="registry.example/sh:1", namespace="kube-system", pending_timeout=5.0)
    base = SnapshotSource(kubeconfig=str(srv.kubeconfig), namespace="team-search")
    source = CollectingSource.wrap(base, options, collect_on_start=True)
    # :ns and :ctx copy the source: the collector settings go along
    assert ClusterSource(source).with_namespace(None).source.collector == options
    app = make_app(source, Settings(), fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await settle(pilot)
        shown = {p.pod.node for p in app.data.fetched.loaded.shown if p.pod.node}
        assert app.cgroups.overlay is not None and set(app.cgroups.overlay.nodes) == shown, notes(app)
        assert {p["spec"]["nodeName"] for p in life.created} == shown
        assert {p["spec"]["containers"][0]["image"] for p in life.created} == {"registry.example/sh:1"}
        assert {q.path for q in srv.requests if q.method == "POST"} == {"/api/v1/namespaces/kube-system/pods"}
    assert collector_pods(srv) == []


def crash_looping_pod(srv: SimServer) -> tuple[dict[str, Any], str]:
    """A running pod with a container in back-off (no cgroup between two restarts), and its name."""
    for pod in srv.cluster.list("pods"):
        for cs in pod["status"].get("containerStatuses") or []:
            if cs["state"].get("waiting", {}).get("reason") == "CrashLoopBackOff":
                return pod, cs["name"]
    raise AssertionError("no crash-looping pod")


async def test_c_names_a_container_without_a_cgroup_and_why_a_v1_pod_has_no_oom_kill_count(
    sim_factory,
) -> None:
    """14.3/10.3: key c as `cgroups node/X` says it: a container in back-off is `NAME (no cgroup:
    CrashLoopBackOff)` (not a row of - that reads as not collected, not missing from the pod's
    detail), and on a cgroup v1 node the pods' OOM-KILLS are - with the reason (the demo's node-4)."""
    from kubectl_mem.sim import demo_cluster
    from kubectl_mem.sim.scenario import DEMO_LAYOUTS

    srv = sim_factory(demo_cluster())
    life = install(srv)
    life.step_s = 0.02
    life.layouts.update(DEMO_LAYOUTS)
    (v1_node,) = [n for n, layout in DEMO_LAYOUTS.items() if layout.version == "v1"]
    pod, container = crash_looping_pod(srv)
    name, node = pod["metadata"]["name"], pod["spec"]["nodeName"]
    assert node != v1_node
    no_cgroup = f"{container} (no cgroup: CrashLoopBackOff)"
    app = app_on(srv)
    async with app.run_test(size=(240, 70)) as pilot:  # room for the whole name with the kernel's columns
        await settle(pilot)
        await type_keys(pilot, f"/{name}")
        await pilot.press("enter", "space", "c")  # the filter, the pod's containers, its node's cgroups
        await until(pilot, lambda: app.cgroups.overlay is not None, "the cgroups of the pod's node")
        await settle(pilot)
        rows = table_rows(app)
        assert f"└ {no_cgroup}" in rows, list(rows)
        assert rows[f"└ {no_cgroup}"]["ANON"] == "-"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PodDetailScreen)
        bars = [b.label for b in app.screen.query(BreakdownBar)]
        assert bars == [no_cgroup, "(pod)"]
        assert no_cgroup in screen_text(app)
        await pilot.press("escape", "slash", "ctrl+u", "escape")
        await settle(pilot)
        # a pod on the cgroup v1 node: its OOM-KILLS are -, and the detail and the toast say why
        v1_pod = next(p for p in app.data.fetched.loaded.shown if p.pod.node == v1_node and p.live)
        await type_keys(pilot, f"/{v1_pod.pod.name}")
        await pilot.press("enter", "c")
        await until(pilot, lambda: v1_node in app.cgroups.overlay.nodes, "the cgroups of the v1 node")
        await settle(pilot)
        assert table_rows(app)[v1_pod.pod.name]["OOM-KILLS"] == "-"
        toast = next(n for n in notes(app) if f"{v1_node}: memory.available" in n)
        assert "their OOM-kills not counted by cgroup v1" in toast
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "OOM-kills of the pod -: not counted by cgroup v1: memory.oom_control counts" in text
        assert "OOM-kills -" in text  # the pod's bar: unknown, never 0
    assert collector_pods(srv) == []
