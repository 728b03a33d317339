"""STATUS in the interactive view, ended pods as history, and key t (issue 10.2)."""

from __future__ import annotations

from tui_factories import fixed_clock, screen_text, settle

from kubectl_mem.kube.snapshot_source import Loaded
from kubectl_mem.model.records import (
    ContainerSpec,
    ContainerStatus,
    ContainerUsage,
    Node,
    NodeUsage,
    Pod,
    PodUsage,
    Resources,
    Termination,
)
from kubectl_mem.model.snapshot import build_snapshot
from kubectl_mem.tui.app import make_app
from kubectl_mem.tui.config import Settings
from kubectl_mem.tui.data_sources import FixedSource

Mi, Gi = 1 << 20, 1 << 30


def _loaded() -> Loaded:
    res = Resources(memory_request=256 * Mi, memory_limit=512 * Mi)
    live = Pod(
        namespace="shop",
        name="api-live",
        uid="u1",
        node="node-a",
        phase="Running",
        containers=(ContainerSpec("app", resources=res),),
        statuses=(ContainerStatus("app", ready=True, state="running"),),
    )
    evicted = Pod(
        namespace="shop",
        name="api-evicted",
        uid="u2",
        node="node-a",
        phase="Failed",
        reason="Evicted",
        message="The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi. ",
        containers=(ContainerSpec("app", resources=res),),
        statuses=(
            ContainerStatus("app", state="terminated", terminated=Termination("ContainerStatusUnknown", 137)),
        ),
    )
    s = build_snapshot(
        [live, evicted],
        [Node("node-a", 8 * Gi, 7 * Gi)],
        [PodUsage("shop", "api-live", (ContainerUsage("app", 300 * Mi),))],
        [NodeUsage("node-a", 6 * Gi)],
        taken_at="2026-05-01T12:00:00Z",
    )
    return Loaded(s, list(s.pods))


def _rows(app) -> list[str]:
    return [ln for ln in screen_text(app).splitlines() if ln.startswith("shop ")]


async def test_status_column_and_key_t_hides_and_shows_ended_pods() -> None:
    app = make_app(FixedSource(_loaded(), contexts=("fixture",)), Settings(), fixed_clock)
    async with app.run_test(size=(160, 24)) as pilot:
        await settle(pilot)
        rows = _rows(app)
        (evicted,) = [r for r in rows if "api-evicted" in r]
        assert " Evicted " in evicted and evicted.split()[-1] == "none"  # history, no live risk
        assert any(" Running " in r for r in rows if "api-live" in r)
        await pilot.press("t")
        await settle(pilot)
        assert [r.split()[1] for r in _rows(app)] == ["api-live"]
        assert "ended pods hidden (t)" in screen_text(app)
        await pilot.press("t")
        await settle(pilot)
        assert len(_rows(app)) == 2


async def test_hide_terminated_setting_starts_hidden() -> None:
    app = make_app(FixedSource(_loaded(), contexts=("fixture",)), Settings(hide_terminated=True), fixed_clock)
    async with app.run_test(size=(160, 24)) as pilot:
        await settle(pilot)
        assert [r.split()[1] for r in _rows(app)] == ["api-live"]
