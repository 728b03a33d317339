"""`?`: every key of the screen it was opened from (as remapped by the user's keymap), the `:`
commands, the legend of the screen's columns (the column spec's help texts, the same words as the
CLI) and where the config file is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from kubectl_mem.report.columns import Column
from kubectl_mem.tui.viewstate import COMMAND_HELP


def keys_table(rows: list[tuple[str, str]]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("KEY", style="bold", no_wrap=True)
    table.add_column("WHAT", overflow="fold")
    for key, what in rows:
        table.add_row(key, what)
    return table


def legend_table(columns: Sequence[Column[Any]]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("COLUMN", style="bold", no_wrap=True)
    table.add_column("WHAT", overflow="fold")
    seen = set()
    for c in columns:
        if c.title not in seen:
            seen.add(c.title)
            table.add_row(c.title, c.help)
    return table


def config_text(path: str | None, found: bool) -> Text:
    t = Text("Config file: ", style="bold")
    if path is None:
        t.append("none (settings given by the caller)")
        return t
    t.append(path)
    t.append("" if found else " (not there: defaults in use)", style="dim")
    return t


def commands_table() -> Table:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("COMMAND", style="bold", no_wrap=True)
    table.add_column("WHAT", overflow="fold")
    for cmd, what in COMMAND_HELP.items():
        table.add_row(f":{cmd}", what)
    return table


CONFIG_HELP = (
    "\nThe config file (YAML) sets refresh, theme, thresholds (warn and critical, % of limit) and "
    "keymap: remap a key by its name, e.g. `sort-memory: w` (every name: docs/config.md). "
    "Read-only: no key changes the cluster."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="close-help"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(
        self,
        title: str,
        rows: list[tuple[str, str]],
        *,
        columns: Sequence[Column[Any]] = (),
        config_path: str | None = None,
        config_found: bool = False,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows
        self.columns = columns
        self.config_path = config_path
        self.config_found = config_found

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(config_text(self.config_path, self.config_found))
            yield Static(Text(f"\nKeys: {self.title_text}", style="bold"))
            yield Static(keys_table(self.rows))
            yield Static(Text("\nCommands (type : first)", style="bold"))
            yield Static(commands_table())
            yield Static(
                Text(
                    "\nFilter (/): a regex on namespace/name, node, QoS and risk; !regex keeps the "
                    "rows that do not match; -l key=value,key!=value filters on labels. "
                    "Press a sort key again to reverse.",
                    style="dim",
                )
            )
            if self.columns:
                yield Static(
                    Text("\nColumns (- unknown; the same names and figures as the CLI)", style="bold")
                )
                yield Static(legend_table(self.columns))
            yield Static(Text(CONFIG_HELP, style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
