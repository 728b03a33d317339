"""The interactive view of `kubectl mem top`.

`make_app(source, settings, clock)` builds it for the CLI, the pilot tests, the snapshot tests and
the benchmark alike. Data flows one way: the refresh worker loads a snapshot (refresh.py), the app
keeps it in `data`, each screen draws it when shown. Read-only: no key changes the cluster.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Input

from kubectl_mem.kube.snapshot_source import SnapshotSource
from kubectl_mem.model.cgroup import with_node_memory
from kubectl_mem.model.views import NodeView
from kubectl_mem.report.fmt import size
from kubectl_mem.tui.cgroups import CgroupCollection, collect_on_start
from kubectl_mem.tui.config import Settings
from kubectl_mem.tui.data_sources import ClusterSource, TuiSource
from kubectl_mem.tui.messages import CgroupsCollected, CgroupsFailed, RefreshFailed, SnapshotReady
from kubectl_mem.tui.palette import KubectlMemCommands
from kubectl_mem.tui.refresh import Clock, Refresher, ViewData
from kubectl_mem.tui.samples import Samples
from kubectl_mem.tui.screens.command import CommandPrompt
from kubectl_mem.tui.screens.help import HelpScreen
from kubectl_mem.tui.screens.nodes import NodesScreen
from kubectl_mem.tui.screens.pods import PodsScreen
from kubectl_mem.tui.screens.workloads import WorkloadsScreen
from kubectl_mem.tui.viewstate import Command, CommandError, parse_command
from kubectl_mem.tui.widgets.header import Totals, empty_totals, scope_totals


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class KubectlMemApp(App[None]):
    TITLE = "kubectl mem"
    CSS_PATH = "app.tcss"
    MODES: ClassVar[dict[str, type[Screen]]] = {  # type: ignore[assignment]
        "pods": PodsScreen,
        "nodes": NodesScreen,
        "workloads": WorkloadsScreen,
    }
    DEFAULT_MODE = "pods"
    COMMANDS = App.COMMANDS | {KubectlMemCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="help"),
        Binding("colon", "command", "Cmd", priority=True, id="command"),  # see TableScreen "/"
        Binding("0", "all_namespaces", "All ns", show=False, id="all-namespaces"),  # in help; 80 columns
        Binding("q", "quit", "Quit", id="quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="quit-now"),
    ]

    data: var[ViewData] = var(ViewData, always_update=True)

    def __init__(self, source: TuiSource, settings: Settings, clock: Clock) -> None:
        super().__init__()
        self.settings = settings
        self.clock = clock
        self.samples = Samples(settings.max_samples)
        self.refresher = Refresher(self, self.samples, clock)
        self.refresher.set_source(source)
        self._frozen = False
        self._fallback: TuiSource | None = None  # the source before a scope change, until it works
        self.refresh_times: list[float] = []  # seconds per completed refresh (benchmarks read it)
        self.cgroups = CgroupCollection(self, lambda: self.refresher.source)  # key `c`
        self._collect_on_start = collect_on_start(source)  # `top --cgroups` on a terminal
        self._node_views: tuple[object, object, tuple[NodeView, ...]] | None = None
        self._totals: tuple[object, object, Totals] | None = None

    def node_views(self) -> tuple[NodeView, ...]:
        """The nodes every screen draws: after key c each collected node with its own
        memory.available, working set and headroom (as `nodes --cgroups`), else metrics.k8s.io's.
        Made once per snapshot and collection."""
        f = self.data.fetched
        if f is None:
            return ()
        overlay = self.cgroups.overlay
        made = self._node_views
        if made is None or made[0] is not f or made[1] is not overlay:
            snap = f.loaded.snapshot
            nodes = with_node_memory(snap, overlay).nodes if overlay is not None else snap.nodes
            made = self._node_views = (f, overlay, nodes)
        return made[2]

    def header_totals(self) -> Totals:
        """The header's sums over the pods shown and their nodes: once per snapshot and
        collection for every screen's header (a sum over 20k pods is ~15 ms: not per key)."""
        f = self.data.fetched
        nodes = self.node_views()
        made = self._totals
        if made is None or made[0] is not f or made[1] is not nodes:
            totals = scope_totals(f.loaded.shown, nodes, f.namespace) if f is not None else empty_totals()
            made = self._totals = (f, nodes, totals)
        return made[2]

    @property
    def source(self) -> TuiSource:
        assert self.refresher.source is not None
        return self.refresher.source

    # ------------------------------------------------------------ lifecycle

    def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        if self.settings.theme:
            if self.settings.theme in self.available_themes:
                self.theme = self.settings.theme
            else:
                self.notify(f"unknown theme {self.settings.theme!r} in the config file", severity="warning")
        self.refresher.tick()
        self.set_interval(self.settings.refresh, self.refresher.tick, name="refresh")

    def on_unmount(self) -> None:
        self.cgroups.shutdown()  # quitting mid-collection: its pods are deleted before we go
        if not self.refresher.running and self.refresher.source is not None:
            self.refresher.source.close()

    # ------------------------------------------------------------ data from the worker

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        if message.scope != self.refresher.scope:
            self.refresher.request()  # loaded for a scope we left: load the new one
            return
        self._fallback = None
        self.refresh_times.append(message.elapsed)
        self.data = ViewData(
            fetched=message.fetched,
            generation=self.data.generation + 1,
            refreshed_at=self.clock(),
            loading=False,
        )
        if not self._frozen:
            # Once the first data is on screen, the app's long-lived objects (widgets, styles, the
            # snapshot's views) move out of the collector's reach: a full collection over them
            # took ~100 ms, a key press that hit one stalled. Only once: objects frozen later,
            # such as a detail screen open at that moment, would never be collected.
            self._frozen = True
            self.call_after_refresh(gc.freeze)
        if self._collect_on_start:
            self._collect_on_start = False
            self.collect_cgroups([p.pod.node for p in message.fetched.loaded.shown if p.pod.node])
        if self.refresher.pending:
            self.refresher.tick()

    def on_refresh_failed(self, message: RefreshFailed) -> None:
        if message.scope != self.refresher.scope:
            self.refresher.request()
            return
        if self._fallback is not None:
            # a scope change that does not work: say why and go back to what worked
            self.notify(message.message, title="cannot switch", severity="error", timeout=8)
            fallback, self._fallback = self._fallback, None
            self.refresher.set_source(fallback)
            self.refresher.request()
            return
        old = self.data
        self.data = ViewData(
            fetched=old.fetched,
            generation=old.generation,
            refreshed_at=old.refreshed_at,
            error=message.message,
            error_title=message.title,
            loading=False,
        )
        if self.refresher.pending:
            self.refresher.tick()

    # ------------------------------------------------------------ scope

    def namespaces(self) -> list[str]:
        f = self.data.fetched
        if f is None:
            return []
        return sorted({p.pod.namespace for p in f.loaded.snapshot.pods})

    def _rescope(self, source: TuiSource, what: str) -> None:
        self._fallback = self.source
        self.refresher.set_source(source)
        self.refresher.request()
        self.notify(what, timeout=3)

    def set_namespace(self, namespace: str | None) -> None:
        self._rescope(self.source.with_namespace(namespace), f"namespace {namespace or 'all'}")
        # :ns scopes the workloads too; from any other screen it shows the namespace's pods
        self.run_command("workloads" if self.current_mode == "workloads" else "pods")

    def set_context(self, context: str) -> None:
        self._rescope(self.source.with_context(context), f"context {context}")

    def action_all_namespaces(self) -> None:
        if not self.source.all_namespaces:
            self.set_namespace(None)

    # ------------------------------------------------------------ workloads

    def want_workloads(self) -> None:
        """:workloads was opened: list the pods' owners and roll them up at every refresh from now on
        (not before: a view that never shows workloads does not pay for their lists)."""
        if self.refresher.workloads_wanted:
            return
        self.refresher.workloads_wanted = True
        want = getattr(self.source, "want_owners", None)
        if want is not None:
            want()
        self.refresher.request()

    # ------------------------------------------------------------ cgroups (key c)

    def collect_cgroups(self, nodes: list[str]) -> None:
        """Read the kernel's figures of `nodes` in the background; the result comes as a message."""
        f = self.data.fetched
        pods = [p.pod for p in f.loaded.snapshot.pods] if f is not None else []
        why_not = self.cgroups.start(nodes, pods)
        if why_not is not None:
            self.notify(why_not, title="cgroups", severity="warning")
            return
        which = ", ".join(self.cgroups.nodes[:4]) + (" …" if len(self.cgroups.nodes) > 4 else "")
        self.notify(
            f"collecting: one short-lived collector pod per node ({which})", title="cgroups", timeout=4
        )

    def on_cgroups_collected(self, message: CgroupsCollected) -> None:
        self.cgroups.apply(message)
        g = message.gathered
        lines = [f"deleted stale collector pod {name}" for name in message.stale]
        for node in message.nodes:
            own = g.overlay.node(node)
            if own is None:
                continue
            count = sum(1 for p in g.overlay.pods.values() if p.node == node and p.name is not None)
            source = "the node's own" if own.source == "cgroup" else "kubelet Summary API"
            line = f"{node}: memory.available {size(own.memory_available)} ({source}), {count} pods"
            if own.pods_oom_kills_not_counted:  # cgroup v1: the pods' OOM-KILLS read -, say why
                line += f"; their OOM-kills {own.pods_oom_kills_not_counted.split(':')[0]}"
            lines.append(line)
        if len(lines) > 6:
            lines = [*lines[:5], f"… and {len(lines) - 5} more"]
        done = len(g.collected)
        title = f"cgroups of {done} of {len(message.nodes)} node{'s' if len(message.nodes) != 1 else ''}"
        if lines:
            self.notify("\n".join(lines), title=f"{title} in {message.elapsed:.1f}s", timeout=6)
        for w in g.warnings:
            self.notify(w, title="cgroups", severity="error" if not done else "warning", timeout=10)
        self.data = self.data  # redraw: the screens read the overlay

    def on_cgroups_failed(self, message: CgroupsFailed) -> None:
        self.cgroups.failed()
        self.notify(message.message, title="cgroups failed", severity="error", timeout=10)

    # ------------------------------------------------------------ commands

    def help_rows(self) -> list[tuple[str, str]]:
        """(keys, what) of every key that works on the current screen, keymap applied."""
        order: list[str] = []
        keys: dict[str, list[str]] = {}
        what: dict[str, str] = {}
        for active in self.active_bindings.values():
            b = active.binding
            if not b.id:  # Textual's own scrolling keys; ours all have ids
                continue
            if b.id not in keys:
                order.append(b.id)
                keys[b.id] = []
                what[b.id] = b.description or b.action
            shown = self.get_key_display(b)
            if shown not in keys[b.id]:
                keys[b.id].append(shown)
        rows = [(", ".join(keys[i]), what[i]) for i in order]
        rows.append(("^p", "command palette: commands, themes"))
        return rows

    def action_help(self) -> None:
        screen = self.screen
        name = screen.id or type(screen).__name__.removesuffix("Screen")
        legend = getattr(screen, "legend", None)
        self.push_screen(
            HelpScreen(
                name,
                self.help_rows(),
                columns=legend() if legend is not None else (),
                config_path=self.settings.config_path,
                config_found=self.settings.config_found,
            )
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "command":  # a `:` typed in an input (the filter, the prompt) is text
            return not isinstance(self.focused, Input)
        return True

    def action_command(self) -> None:
        suggestions = ["pods", "nodes", "workloads", "ns all", "q"] + [f"ns {ns}" for ns in self.namespaces()]
        self.push_screen(CommandPrompt(suggestions), self._command_entered)

    def _command_entered(self, text: str | None) -> None:
        if text:
            self.run_command(text)

    def run_command(self, text: str) -> None:
        parsed = parse_command(text)
        if isinstance(parsed, CommandError):
            self.notify(parsed.message, severity="error")
            return
        self._run(parsed)

    def _run(self, cmd: Command) -> None:
        if cmd.name == "quit":
            self.exit()
        elif cmd.name == "help":
            self.action_help()
        elif cmd.name in ("pods", "nodes", "workloads"):
            if self.current_mode != cmd.name:
                self.switch_mode(cmd.name)
            while len(self.screen_stack) > 1:
                self.pop_screen()
        elif cmd.name == "ns":
            self.set_namespace(None if cmd.arg in ("all", "-A", "*") else cmd.arg)
        elif cmd.name == "ctx":
            self.set_context(cmd.arg)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "The keys of this screen and the : commands", self.action_help)


def make_app(
    source: TuiSource | SnapshotSource, settings: Settings | None = None, clock: Clock | None = None
) -> KubectlMemApp:
    if isinstance(source, SnapshotSource):
        source = ClusterSource(source)
    return KubectlMemApp(source, settings or Settings(), clock or utc_now)
