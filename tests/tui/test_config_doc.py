"""docs/config.md names every key of the interactive view by the name the config file's keymap
takes (the binding id), with its default keys and what it does: the help screen points there
instead of showing internal ids."""

from __future__ import annotations

from pathlib import Path

from kubectl_mem.tui.app import KubectlMemApp
from kubectl_mem.tui.screens.base import TableScreen
from kubectl_mem.tui.screens.command import CommandPrompt
from kubectl_mem.tui.screens.help import HelpScreen
from kubectl_mem.tui.screens.node_detail import NodeDetailScreen
from kubectl_mem.tui.screens.nodes import NodesScreen
from kubectl_mem.tui.screens.pod_detail import PodDetailScreen
from kubectl_mem.tui.screens.pods import PodsScreen
from kubectl_mem.tui.widgets.table import LineTable

DOC = Path(__file__).parents[2] / "docs" / "config.md"
OWNERS = (
    KubectlMemApp,
    LineTable,
    TableScreen,
    PodsScreen,
    NodesScreen,
    PodDetailScreen,
    NodeDetailScreen,
    HelpScreen,
    CommandPrompt,
)


def keymap_rows() -> list[str]:
    """One markdown row per binding id: `| id | default keys | what |` (first declaration wins)."""
    rows: dict[str, str] = {}
    for owner in OWNERS:
        for b in owner.BINDINGS:
            if b.id and b.id not in rows:
                rows[b.id] = f"| `{b.id}` | `{b.key}` | {b.description} |"
    return list(rows.values())


def test_every_key_is_in_the_config_doc_by_its_keymap_name() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [row for row in keymap_rows() if row not in text]
    assert not missing, "docs/config.md lacks (or has other words for):\n" + "\n".join(missing)
