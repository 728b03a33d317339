"""Every key and screen of the interactive view, driven by Textual's pilot on a fixed snapshot
(deterministic) or the simulated cluster (the real kube/ code over HTTP)."""

from __future__ import annotations

import re
import threading

import pytest
from textual.command import CommandList
from tui_factories import SteppingClock, fixed_clock, loaded, screen_text, settle, until

from kubectl_mem.errors import ForbiddenError, UnreachableError
from kubectl_mem.kube.snapshot_source import SnapshotSource
from kubectl_mem.tui.app import KubectlMemApp, make_app
from kubectl_mem.tui.config import Settings
from kubectl_mem.tui.data_sources import FixedSource
from kubectl_mem.tui.messages import RefreshFailed, SnapshotReady
from kubectl_mem.tui.screens.help import HelpScreen
from kubectl_mem.tui.screens.node_detail import NodeDetailScreen
from kubectl_mem.tui.screens.nodes import NodesScreen
from kubectl_mem.tui.screens.pod_detail import PodDetailScreen
from kubectl_mem.tui.screens.pods import PodsScreen
from kubectl_mem.tui.viewstate import NODE_SORT_KEYS, POD_SORT_KEYS, SortSpec
from kubectl_mem.tui.widgets.pod_table import PodTable

SIZE = (120, 40)


def app_for(source=None, **settings) -> KubectlMemApp:
    return make_app(
        source or FixedSource(loaded(), contexts=("fixture", "other")), Settings(**settings), fixed_clock
    )


def pods_screen(app: KubectlMemApp) -> PodsScreen:
    screen = app.screen
    assert isinstance(screen, PodsScreen), screen
    return screen


def cursor_name(app: KubectlMemApp) -> str:
    row = app.screen.query_one(PodTable).cursor_row
    return row.pod.name if not isinstance(row, tuple) else f"{row[0].pod.name}/{row[1].name}"


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(
            {
                " ": "space",
                "/": "slash",
                "!": "exclamation_mark",
                "=": "equals_sign",
                "-": "minus",
                "^": "circumflex_accent",
                ".": "full_stop",
                "|": "vertical_line",
                "(": "left_parenthesis",
                ")": "right_parenthesis",
            }.get(ch, ch)
        )


async def test_first_screen_shows_pods_by_risk() -> None:
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "ctx fixture" in text and "ns all" in text and "pods 7" in text
        assert "least headroom node-a 617Mi" in text
        assert "metrics 20s old" in text
        assert "RISK↓" in text  # the sort is shown in the column header
        assert cursor_name(app) == "api-7f9c"
        lines = text.splitlines()
        api = next(line for line in lines if "api-7f9c" in line)
        assert "96%" in api and "critical" in api
        assert "unbounded" in next(line for line in lines if "etl-28391" in line)  # no limit, in words
        assert "BestEffort" in text


async def test_the_header_labels_its_figures_and_sums_what_is_shown() -> None:
    """Every figure in the header named as its column is; the pods' sums are the pods in view
    (under :ns, that namespace's), the nodes' are said to be the nodes'."""
    app = app_for()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        head = screen_text(app).splitlines()[:3]
        # 7 pods: 490+190+40+300+900+100+30+60 Mi working set, 256+128+64+256+512+70+200 Mi requests
        assert head[1].strip() == "pods 7  working set 2.1Gi  requests 1.5Gi  limits unbounded"
        nodes = "nodes 2  working set 6.3Gi of 11Gi allocatable (57%)  requests 1.5Gi (13% of allocatable)"
        assert head[2].strip().startswith(nodes)
        await pilot.press("colon")
        await type_text(pilot, "ns shop")
        await pilot.press("enter")
        await settle(pilot)
        head = screen_text(app).splitlines()[:3]
        assert "ns shop" in head[0]
        # api 490+cart 190+web 340 Mi; requests 256+128+320 Mi; web-0's php has no limit
        assert head[1].strip() == "pods 3  working set 1020Mi  requests 704Mi  limits unbounded"
        assert head[2].lstrip().startswith("their nodes 2  working set 6.3Gi of 11Gi allocatable")
        await pilot.press("colon")
        await type_text(pilot, "ns batch")
        await pilot.press("enter")
        await settle(pilot)
        head = screen_text(app).splitlines()[:3]
        assert head[1].strip() == "pods 2  working set 1000Mi  requests 512Mi  limits unbounded"


def burst(app: KubectlMemApp, keys: str) -> None:
    """Keys as a fast typist, a paste or tmux send-keys deliver them: all queued before any runs."""
    from textual import events

    names = {"/": "slash", ":": "colon", "-": "minus", "\n": "enter"}
    for ch in keys:
        app.post_message(events.Key(names.get(ch, ch), None if ch == "\n" else ch))


async def test_keys_typed_ahead_of_the_filter_box_and_the_prompt_are_not_lost() -> None:
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pods_screen(app)
        burst(app, "/shop\n")  # the letters must not move the cursor (k is up) or be dropped
        await until(
            pilot,
            lambda: screen.state.filter.text == "shop" and app.focused is screen.table,
            "the filter typed ahead to apply",
        )
        assert screen.state.filter.text == "shop"
        assert app.focused is screen.table and "filter /shop" in screen_text(app)
        burst(app, ":nodes\n")
        await until(pilot, lambda: isinstance(app.screen, NodesScreen), "the nodes screen")


async def test_cursor_keys() -> None:
    app = app_for(source=FixedSource(loaded(extra_pods=100)))
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PodTable)
        await pilot.press("j")
        assert table.cursor == 1
        await pilot.press("down", "down")
        assert table.cursor == 3
        await pilot.press("k")
        assert table.cursor == 2
        await pilot.press("up")
        assert table.cursor == 1
        await pilot.press("G")
        assert table.cursor == 106
        await pilot.pause()
        assert table.scroll_offset.y > 0  # the cursor stays in view
        assert cursor_name(app) in screen_text(app)
        await pilot.press("g")
        assert table.cursor == 0
        await pilot.press("pagedown")
        assert table.cursor == table.page_rows
        await pilot.press("pageup")
        assert table.cursor == 0
        await pilot.press("end")
        assert table.cursor == 106
        await pilot.press("home")
        assert table.cursor == 0
        await pilot.press("ctrl+f")
        assert table.cursor == table.page_rows
        await pilot.press("ctrl+b")
        assert table.cursor == 0


@pytest.mark.parametrize("sort", POD_SORT_KEYS, ids=lambda s: s.id)
async def test_pod_sort_keys(sort) -> None:
    app = app_for()
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        state = pods_screen(app).state
        before = cursor_name(app)
        await pilot.press(sort.key)
        first = SortSpec(sort.column, sort.descending)
        if sort.column == "risk":  # already sorted by risk: the same key reverses it
            first = SortSpec("risk", False)
        assert state.sort == first
        assert cursor_name(app) == before  # the selection follows its pod
        await pilot.press(sort.key)
        assert state.sort == SortSpec(first.column, not first.descending)
        arrow = "↓" if state.sort.descending else "↑"
        assert arrow in screen_text(app).splitlines()[3]


async def test_filter_keys() -> None:
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pods_screen(app)
        await pilot.press("slash")
        await type_text(pilot, "shop/")
        assert {p.pod.name for p in screen.state.rows} == {"api-7f9c", "cart-5d4b", "web-0"}
        await pilot.press("enter")  # keep the filter, back to the table
        assert app.focused is screen.table
        assert "[3 of 7]" in screen_text(app) and "filter /shop/" in screen_text(app)
        await pilot.press("escape")  # esc clears it
        assert len(screen.state.rows) == 7
        await pilot.press("slash")
        await type_text(pilot, "!shop")
        assert len(screen.state.rows) == 4
        await pilot.press("escape")
        await pilot.press("slash")
        await type_text(pilot, "-l app=cart")
        assert [p.pod.name for p in screen.state.rows] == ["cart-5d4b"]
        await pilot.press("escape")
        assert len(screen.state.rows) == 7 and app.focused is screen.table
        await pilot.press("slash")
        await type_text(pilot, "zzz")
        await pilot.press("enter")
        assert "no pods match the filter" in screen_text(app)


async def test_enter_opens_pod_and_esc_goes_back() -> None:
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PodDetailScreen)
        text = screen_text(app)
        assert "pod shop/api-7f9c" in text
        assert "OOMKilled (exit 137)" in text
        assert "1st of 4 to be evicted on node-a" in text
        assert "oom_score_adj" in text and "api=" in text
        assert "of 512Mi limit (96%)" in text
        assert "no trend yet" in text
        await pilot.press("escape")
        assert isinstance(app.screen, PodsScreen)


async def test_space_expands_containers() -> None:
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("space")
        assert "└ api" in screen_text(app)
        await pilot.press("j")
        assert cursor_name(app) == "api-7f9c/api"
        await pilot.press("enter")  # a container row opens its pod
        assert isinstance(app.screen, PodDetailScreen)
        await pilot.press("escape", "space")
        assert "└ api" not in screen_text(app)


async def test_nodes_screen_and_eviction_order() -> None:
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await type_text(pilot, "nodes")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, NodesScreen)
        text = screen_text(app)
        assert "nodes(cluster)[2]" in text and "HEADROOM↑" in text
        for sort in NODE_SORT_KEYS:
            await pilot.press(sort.key)
            assert app.screen.state.sort.column == sort.column
        await pilot.press("H")
        assert app.screen.state.sort == SortSpec("headroom", False)
        await pilot.press("g")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, NodeDetailScreen)
        text = screen_text(app)
        assert "node node-a" in text and "eviction order(node-a)[4]" in text
        order = [p.pod.name for p in app.screen.state.rows]
        assert order == ["api-7f9c", "cart-5d4b", "coredns-1", "report-1"]
        await pilot.press("enter")
        assert isinstance(app.screen, PodDetailScreen)
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, NodesScreen)
        await pilot.press("colon")
        await type_text(pilot, "pods")
        await pilot.press("enter")
        assert isinstance(app.screen, PodsScreen)


async def test_namespace_commands_and_zero() -> None:
    source = FixedSource(loaded())
    app = app_for(source)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await type_text(pilot, "ns shop")
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "ns shop" in text and "pods(shop)[3]" in text
        assert "NAMESPACE" not in text  # one namespace: no namespace column (as kubectl)
        await pilot.press("0")
        await settle(pilot)
        assert "pods(all)[7]" in screen_text(app)


async def test_context_switch_and_failure() -> None:
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await type_text(pilot, "ctx other")
        await pilot.press("enter")
        await settle(pilot)
        assert "ctx other" in screen_text(app)
        await pilot.press("colon")
        await type_text(pilot, "ctx nope")
        await pilot.press("enter")
        await settle(pilot)
        # said in the app, and the view stays on the context that works
        assert any("does not exist" in n.message for n in app._notifications)
        assert "ctx other" in screen_text(app)


async def test_bad_command_is_a_message() -> None:
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await type_text(pilot, "delete pod")
        await pilot.press("enter")
        await pilot.pause()
        assert any("unknown command" in n.message for n in app._notifications)
        await pilot.press("colon", "escape")
        assert isinstance(app.screen, PodsScreen)


@pytest.mark.parametrize("keys", [["q"], ["ctrl+c"], ["colon", "q", "enter"]])
async def test_quit_keys(keys) -> None:
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*keys)
        await pilot.pause()
        assert app._exit_renderables is not None or not app.is_running or app.return_code is not None


async def test_help_lists_the_keys_the_column_legend_and_the_config_file(tmp_path) -> None:
    config = tmp_path / "config.yaml"
    app = app_for(config_path=str(config), config_found=False)
    async with app.run_test(size=(120, 90)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for expected in ("Sort by OOM", "Open", "Filter", ":ns NAME", "j"):
            assert expected in text
        for internal in ("sort-oom", "drill-down", "cursor-up", "quit-now", "toggle-containers"):
            assert internal not in text  # binding ids are for the config file, not the help
        for title, help_text in (
            ("WORKING SET", "memory in use"),
            ("EVICT#", "place in the kubelet's eviction order"),
            ("RESTARTS", "container restarts"),
        ):  # the column's name (as the table heads it) next to the spec's help text
            assert re.search(rf"│ {re.escape(title)} +{re.escape(help_text)}", text), title
        assert f"Config file: {config}" in text and "defaults in use" in text
        await pilot.press("escape")
        assert isinstance(app.screen, PodsScreen)
        await pilot.press("enter", "question_mark")
        text = screen_text(app)
        assert "Sort by OOM" not in text  # the detail has no sort keys
        assert "OOM_SCORE_ADJ" in text and "EVICT#" not in text  # its own table's columns
        await pilot.press("question_mark")
        assert isinstance(app.screen, PodDetailScreen)


async def test_keymap_from_config() -> None:
    app = app_for(keymap={"sort-memory": "w", "quit": "x"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        assert pods_screen(app).state.sort == SortSpec("memory", True)
        await pilot.press("M")  # the old key no longer sorts
        assert pods_screen(app).state.sort == SortSpec("memory", True)
        await pilot.press("question_mark")
        assert "w " in screen_text(app)


async def test_refresh_failure_keeps_data_and_recovers() -> None:
    source = FixedSource(loaded())
    app = app_for(source)
    messages = []
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await settle(pilot)
        source.fail = UnreachableError("cannot reach https://10.0.0.1:6443: connection refused")
        app.refresher.tick()
        await settle(pilot)
        text = screen_text(app)
        assert "refresh failed, showing data from before: cannot reach" in text
        assert "api-7f9c" in text  # the last good data stays
        source.fail = None
        app.refresher.tick()
        await settle(pilot)
        assert "refresh failed" not in screen_text(app)
    kinds = [type(m) for m in messages if isinstance(m, (SnapshotReady, RefreshFailed))]
    assert kinds == [SnapshotReady, RefreshFailed, SnapshotReady]


async def test_first_load_failure_is_a_readable_message() -> None:
    source = FixedSource(loaded())
    source.fail = ForbiddenError('pods is forbidden: User "dev" cannot list pods', code=403)
    app = app_for(source)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "pods is forbidden" in text and "retrying" in text
        assert app.is_running


async def test_internal_error_does_not_crash() -> None:
    def broken():
        raise RuntimeError("boom")

    app = app_for(FixedSource(broken))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "internal error: RuntimeError: boom" in screen_text(app)


async def test_ticks_are_skipped_while_a_refresh_runs() -> None:
    gate = threading.Event()

    def slow():
        gate.wait(10)
        return loaded()

    app = app_for(FixedSource(slow))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.refresher.running
        assert not app.refresher.tick()
        assert not app.refresher.tick()
        assert app.refresher.skipped >= 2
        await pilot.press("j", "k")  # keys still work while it loads
        gate.set()
        await settle(pilot)
        assert not app.refresher.running and "api-7f9c" in screen_text(app)


async def test_selection_and_scroll_survive_refresh() -> None:
    scale = [1.0]
    app = app_for(FixedSource(lambda: loaded(scale=scale[0], extra_pods=100)))
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        await pilot.press("N")  # by name: order stable across refreshes
        await pilot.press("pagedown", "pagedown", "j")
        before = cursor_name(app)
        offset = app.screen.query_one(PodTable).scroll_offset.y
        scale[0] = 1.1
        app.refresher.tick()
        await settle(pilot)
        assert app.data.generation == 2
        assert cursor_name(app) == before
        assert app.screen.query_one(PodTable).scroll_offset.y == offset


async def test_samples_show_a_trend_toward_the_limit() -> None:
    scale = [1.0]
    app = make_app(FixedSource(lambda: loaded(scale=scale[0])), Settings(), SteppingClock(60))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for s in (1.005, 1.01, 1.015):
            scale[0] = s
            app.refresher.tick()
            await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "4 samples over " in text and "reaches its limit in ~" in text


async def test_command_palette_runs_our_commands() -> None:
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, "Nodes")
        palette = app.screen.query_one(CommandList)

        def found() -> bool:
            at = palette.highlighted
            return at is not None and "Nodes" in str(palette.get_option_at_index(at).prompt)

        await until(pilot, found, "the palette to find Nodes")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, NodesScreen)


async def test_themes_and_no_color(monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for(theme="textual-light")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.no_color and app.theme == "textual-light"
        app.theme = "nord"
        await pilot.pause()
        assert "api-7f9c" in screen_text(app)


async def test_80x24_keeps_the_essentials_under_their_own_names() -> None:
    """A narrow terminal drops columns, never renames them: the CLI's names, whole."""
    app = app_for()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        header = next(ln for ln in screen_text(app).splitlines() if ln.startswith("NAMESPACE"))
        for title in ("NAME", "WORKING SET", "LIMIT", "%LIMIT", "EVICT#", "RISK"):
            assert title in header


async def test_against_the_simulated_cluster(sim_factory) -> None:
    """The real kube/ code over HTTP: the demo-sized cluster, then metrics-server gone."""
    from kubectl_mem.sim import Faults

    faults = Faults()
    srv = sim_factory(faults=faults)
    app = make_app(
        SnapshotSource(kubeconfig=str(srv.kubeconfig), all_namespaces=True), Settings(), fixed_clock
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "ctx sim" in text and "pods(all)[60]" in text
        faults.metrics = "absent"
        app.refresher.tick()
        await settle(pilot)
        text = screen_text(app)
        assert "install metrics-server" in text and "no metrics" in text
        await pilot.press("colon")
        await type_text(pilot, "ns kube-system")
        await pilot.press("enter")
        await settle(pilot)
        assert "ns kube-system" in screen_text(app)
