"""The command palette (ctrl+p) offers the same commands as the `:` prompt."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from kubectl_mem.tui.app import KubectlMemApp


class KubectlMemCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], None]]]:
        app = cast("KubectlMemApp", self.app)
        run = app.run_command
        out: list[tuple[str, str, Callable[[], None]]] = [
            ("Pods", "pods by risk (:pods)", partial(run, "pods")),
            ("Nodes", "nodes by headroom to their eviction threshold (:nodes)", partial(run, "nodes")),
            ("All namespaces", "show the pods of every namespace (0)", partial(run, "ns all")),
        ]
        for ns in app.namespaces():
            out.append((f"Namespace {ns}", f"show the pods of {ns} (:ns {ns})", partial(run, f"ns {ns}")))
        return out

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands()[:3]:
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
