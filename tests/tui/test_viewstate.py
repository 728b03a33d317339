"""The pure parts of the interactive view: filter, sort, selection, commands, samples, config."""

from __future__ import annotations

import msgspec
import pytest
from tui_factories import loaded

from kubectl_mem.errors import ConfigError
from kubectl_mem.report import columns as cols
from kubectl_mem.tui.config import load_settings
from kubectl_mem.tui.samples import Samples, duration, trend
from kubectl_mem.tui.viewstate import (
    POD_SORT_KEYS,
    Command,
    CommandError,
    NodeState,
    PodState,
    SortSpec,
    follow,
    parse_command,
    parse_filter,
    sort_rows,
    toggle_sort,
)


def names(state: PodState) -> list[str]:
    return [r.pod.name if not isinstance(r, tuple) else f"{r[0].pod.name}/{r[1].name}" for r in state.rows]


@pytest.fixture
def state() -> PodState:
    s = PodState()
    s.set_rows(loaded().shown)
    return s


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {"api-7f9c", "cart-5d4b", "web-0", "etl-28391", "report-1", "coredns-1", "metrics-server-1"}),
        ("shop/", {"api-7f9c", "cart-5d4b", "web-0"}),
        ("^batch/", {"etl-28391", "report-1"}),
        ("!^(shop|batch)/", {"coredns-1", "metrics-server-1"}),
        ("BESTEFFORT", {"etl-28391"}),  # case-insensitive, QoS is searched
        ("node-b", {"web-0", "etl-28391", "metrics-server-1"}),
        ("critical", {"api-7f9c"}),  # the risk level is searched
        ("-l app=api", {"api-7f9c"}),
        ("-l app!=api,app", {"cart-5d4b", "web-0", "etl-28391", "report-1"}),
        ("-l k8s-app", {"coredns-1", "metrics-server-1"}),
        ("-l !app", {"coredns-1", "metrics-server-1"}),
        ("-l k8s-app==dns", {"coredns-1"}),
    ],
)
def test_filter(state: PodState, text: str, expected: set[str]) -> None:
    state.set_filter(text)
    assert set(names(state)) == expected


def test_bad_regex_is_taken_literally() -> None:
    f = parse_filter("api(")
    assert f.error.startswith("not a regex")
    assert f.pattern is not None and f.pattern.search("x-api(-y")


def test_empty_inputs() -> None:
    assert not parse_filter("  ").active
    assert not parse_filter("!").active
    assert parse_filter("-l").error


@pytest.mark.parametrize("key", [k.column for k in POD_SORT_KEYS])
@pytest.mark.parametrize("descending", [True, False])
def test_sort_matches_the_shared_columns(key: str, descending: bool) -> None:
    """The fast sort gives exactly the order `kubectl mem top --sort-by` prints."""
    pods = loaded(extra_pods=50).shown
    expected = cols.sort_rows(pods, cols.POD_COLUMNS, key, descending, tie=lambda p: p.key)
    column = next(c for c in cols.POD_COLUMNS if c.key == key)
    assert sort_rows(pods, column, descending, tie=lambda p: p.key) == expected


def test_toggle_sort() -> None:
    s = SortSpec("risk", True)
    assert toggle_sort(s, "risk", True) == SortSpec("risk", False)
    assert toggle_sort(s, "name", False) == SortSpec("name", False)


def test_default_sort_is_risk(state: PodState) -> None:
    assert names(state)[0] == "api-7f9c"
    state.toggle_sort("risk", True)
    assert names(state)[-1] == "api-7f9c"
    state.set_sort(SortSpec("name", False))
    assert names(state) == sorted(names(state))
    with pytest.raises(ValueError):
        state.set_sort(SortSpec("nope", True))


def test_expand_containers_and_keys(state: PodState) -> None:
    web = next(p for p in state.all if p.pod.name == "web-0")
    assert state.toggle_expanded(web.pod.uid)
    i = names(state).index("web-0")
    assert names(state)[i + 1 : i + 3] == ["web-0/nginx", "web-0/php"]
    assert state.index_of(f"{web.pod.uid}/php") == i + 2
    state.set_filter("shop/")  # expansion survives a filter
    assert "web-0/php" in names(state)
    assert not state.toggle_expanded(web.pod.uid)
    assert "web-0/php" not in names(state)


def test_selection_follows_its_row(state: PodState) -> None:
    uid = state.rows[3].pod.uid
    state.set_sort(SortSpec("name", False))
    assert state.rows[state.index_of(uid)].pod.uid == uid
    assert follow(5, None, 9) == 4
    assert follow(0, None, 3) == 0
    assert follow(5, 2, 4) == 2


def test_node_state() -> None:
    s = NodeState()
    s.set_rows(loaded().snapshot.nodes)
    assert [n.node.name for n in s.rows] == ["node-a", "node-b"]  # least headroom first
    s.set_filter("-l nothing=here")
    assert s.rows == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (":nodes", Command("nodes")),
        ("no", Command("nodes")),
        ("po", Command("pods")),
        ("ns kube-system", Command("ns", "kube-system")),
        ("ctx prod", Command("ctx", "prod")),
        ("q", Command("quit")),
        ("q!", Command("quit")),
        ("?", Command("help")),
    ],
)
def test_commands(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize("text", ["", "delete pod", "ns", "ctx a b", "nodes x"])
def test_bad_commands(text: str) -> None:
    assert isinstance(parse_command(text), CommandError)


def test_samples_and_trend() -> None:
    s = Samples(max_samples=3)
    for i in range(5):
        s.record(1000.0 + 60 * i, loaded(scale=1 + 0.01 * i).snapshot)
    api = next(p for p in loaded().snapshot.pods if p.pod.name == "api-7f9c")
    pts = s.points(api.pod.uid, "api")
    assert len(pts) == 3  # capped
    t = trend(pts, 512 * 1 << 20)
    assert t.rate is not None and t.rate > 0
    assert t.time_to_limit is not None and 0 < t.time_to_limit < 3600
    assert trend(pts[:1], None).rate is None
    assert trend([(1.0, 5), (2.0, 4)], 10).time_to_limit is None  # shrinking
    last = next(p for p in loaded(scale=1.04).snapshot.pods if p.pod.name == "api-7f9c")
    assert [t for t, _ in pts] == [1120.0, 1180.0, 1240.0]  # the newest three, at their times
    assert pts[-1][1] == last.containers[0].working_set // 1024 * 1024  # kept to the KiB
    s.forget(set())
    assert s.points(api.pod.uid, "api") == []
    assert [duration(x) for x in (5, 600, 7200, 7260, 90000)] == ["5s", "10m", "2h", "2h01m", "1d1h"]


def test_samples_keep_times_across_a_missing_sample() -> None:
    s = Samples(max_samples=4)
    full, without_api = loaded().snapshot, loaded(scale=1.1).snapshot
    api = next(p for p in full.pods if p.pod.name == "api-7f9c")
    # the api pod's metrics are missing in the second snapshot: drop it from that snapshot's pods
    gap = msgspec.structs.replace(
        without_api, pods=tuple(p for p in without_api.pods if p.pod.uid != api.pod.uid)
    )
    for t, snap in ((10.0, full), (20.0, gap), (30.0, full)):
        s.record(t, snap)
    assert [t for t, _ in s.points(api.pod.uid, "api")] == [10.0, 30.0]


def test_samples_skip_without_metrics() -> None:
    s = Samples()
    s.record(1.0, loaded(metrics=False).snapshot)
    assert s.times == []


def test_config(tmp_path) -> None:
    path = tmp_path / "config.yaml"
    env = {"KUBECTL_MEM_CONFIG": str(path)}
    assert load_settings(env).refresh == 10.0  # no file: defaults
    path.write_text("refresh: 3\nthresholds: {warn: 60, critical: 80}\nkeymap: {sort-risk: r}\ntheme: nord\n")
    s = load_settings(env)
    assert (s.refresh, s.warn_pct, s.critical_pct, s.keymap, s.theme) == (
        3.0,
        60.0,
        80.0,
        {"sort-risk": "r"},
        "nord",
    )
    assert load_settings(env, refresh=20).refresh == 20  # the flag wins
    xdg = {"XDG_CONFIG_HOME": str(tmp_path)}
    (tmp_path / "kubectl-mem").mkdir()
    (tmp_path / "kubectl-mem" / "config.yaml").write_text("refresh: 7\n")
    assert load_settings(xdg).refresh == 7
    for bad in ("refresh: soon\n", "keymap: [a]\n", "- 1\n", "refresh: 0.1\n", "a: [\n"):
        path.write_text(bad)
        with pytest.raises(ConfigError):
            load_settings(env)
