"""Pictures of the main screens (pytest-textual-snapshot), at the smallest terminal we support
(80x24) and a large one, on the fixed cluster of tui_factories with a fixed clock.

A change that moves, hides or recolours anything fails here; look at the SVGs in __snapshots__/
(or snapshot_report.html) and accept a deliberate change with `pytest --snapshot-update`."""

from __future__ import annotations

import pytest
from tui_factories import cgroups_of_node_a, fixed_clock, loaded, settle

from kubectl_mem.tui.app import make_app
from kubectl_mem.tui.config import Settings
from kubectl_mem.tui.data_sources import FixedSource

SMALL, LARGE = (80, 24), (160, 48)


def app():
    # a user's config path, not this machine's: the help screen shows it
    settings = Settings(config_path="/home/sre/.config/kubectl-mem/config.yaml")
    return make_app(FixedSource(loaded(), contexts=("fixture",)), settings, fixed_clock)


def keys(*names: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        for name in names:
            await pilot.press(name)
            await settle(pilot)

    return run_before


def with_cgroups(*names: str):
    """As if key c had read node-a's cgroups (a fixed snapshot has no cluster to read them from)."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.cgroups.overlay = cgroups_of_node_a()
        pilot.app.data = pilot.app.data  # redraw, as a finished collection does
        await settle(pilot)
        for name in names:
            await pilot.press(name)
            await settle(pilot)

    return run_before


SCREENS = {
    "pods": keys(),
    "pods-expanded": keys("space"),
    "pod-detail": keys("enter"),
    "nodes": keys("colon", "n", "o", "d", "e", "s", "enter"),
    "node-detail": keys("colon", "n", "o", "d", "e", "s", "enter", "enter"),
    "help": keys("question_mark"),
    "help-legend": keys("question_mark", "end"),  # the column legend and the config file, scrolled to
    "filter": keys("slash", "s", "h", "o", "p"),
    # key c: the kernel's columns; on :nodes node-a's own AVAILABLE and HEADROOM, marked as such
    "pods-cgroups": with_cgroups("space"),
    "nodes-cgroups": with_cgroups("colon", "n", "o", "d", "e", "s", "enter"),
}


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare, screen: str, size: tuple[int, int]) -> None:
    assert snap_compare(app(), terminal_size=size, run_before=SCREENS[screen])
