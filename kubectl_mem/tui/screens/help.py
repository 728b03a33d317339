"""`?`: every key of the screen it was opened from (as remapped by the user's keymap), and the
`:` commands."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from kubectl_mem.tui.viewstate import COMMAND_HELP


def keys_table(rows: list[tuple[str, str, str]]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("KEY", style="bold", no_wrap=True)
    table.add_column("WHAT", overflow="fold")
    table.add_column("ID", style="dim", no_wrap=True)
    for key, what, id_ in rows:
        table.add_row(key, what, id_)
    return table


def commands_table() -> Table:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("COMMAND", style="bold", no_wrap=True)
    table.add_column("WHAT", overflow="fold")
    for cmd, what in COMMAND_HELP.items():
        table.add_row(f":{cmd}", what)
    return table


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

    def __init__(self, title: str, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(Text(f"Keys: {self.title_text}", style="bold"))
            yield Static(keys_table(self.rows))
            yield Static(Text("\nCommands (type : first)", style="bold"))
            yield Static(commands_table())
            yield Static(
                Text(
                    "\nFilter (/): a regex on namespace/name, node, QoS and risk; !regex keeps the "
                    "rows that do not match; -l key=value,key!=value filters on labels. "
                    "Press a sort key again to reverse. Keys can be remapped under keymap: in the "
                    "config file, by the ids shown. Read-only: no key changes the cluster.",
                    style="dim",
                )
            )

    def action_close(self) -> None:
        self.dismiss(None)
