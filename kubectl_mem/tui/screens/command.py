"""`:` the command line (k9s): `:pods`, `:nodes`, `:ns NAME`, `:ctx NAME`, `:q`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input


class CommandPrompt(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="cancel-command")]
    DEFAULT_CSS = """
    CommandPrompt { align: center bottom; background: $background 30%; }
    CommandPrompt > Input { dock: bottom; border: tall $accent; width: 100%; }
    """

    def __init__(self, suggestions: Iterable[str]) -> None:
        super().__init__()
        self.suggestions = list(suggestions)

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder=":pods  :nodes  :ns NAME  :ctx NAME  :q",
            suggester=SuggestFromList(self.suggestions, case_sensitive=False),
            id="command-input",
        )

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_key(self, event: events.Key) -> None:
        # Keys typed right after `:` reach the screen before the input has focus: they are the
        # command's first letters, not keys for the view behind (`:q` typed fast must not quit
        # through the `q` binding before the prompt sees it).
        if self.focused is None:
            event.stop()
            box = self.query_one(Input)
            self.set_focus(box)
            box.post_message(events.Key(event.key, event.character))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
