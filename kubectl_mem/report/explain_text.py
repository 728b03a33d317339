"""`kubectl mem explain` as text for a terminal (wrapped to its width, no colour needed) and as
markdown. Both read only the model's `Explanation`; numbers are formatted here, never parsed back.

Commands and YAML are never wrapped, so they stay copy-pasteable at any width.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from kubectl_mem.model.explain import (
    Cause,
    ContainerPicture,
    EvictionSection,
    Explanation,
    PodExplanation,
)
from kubectl_mem.model.recommend import Recommendation
from kubectl_mem.model.runtime import RuntimeHint, Setting
from kubectl_mem.model.words import ago
from kubectl_mem.model.workloads import WorkloadFigures
from kubectl_mem.report import columns as cols
from kubectl_mem.report.fmt import change_text, pct, size

CAUSE_TITLES = {
    "container-oom-kill": "container limit reached (cgroup OOM kill)",
    "node-pressure-eviction": "node-pressure eviction by the kubelet",
    "node-oom-kill": "node-level OOM kill (the node ran out, not the container's limit)",
    "no-memory-kill": "no OOM kill or memory eviction recorded",
}
AVAILABLE_FROM = {
    "cgroup": " (the node's own: MemTotal - root cgroup working set, as the kubelet computes it)",
    "summary": " (the kubelet's own, from its Summary API)",
}
CAUSE_SHORT = {
    "container-oom-kill": "container limit reached",
    "node-pressure-eviction": "node-pressure eviction",
    "node-oom-kill": "node-level OOM kill",
    "no-memory-kill": "none recorded",
}
RUNTIME_NAMES = {"go": "Go", "jvm": "JVM", "nodejs": "Node.js", "python": "Python", "dotnet": ".NET"}
MIN_WIDTH = 40


class _Out:
    def __init__(self, width: int) -> None:
        self.width = max(MIN_WIDTH, width)
        self.lines: list[str] = []

    def blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def raw(self, line: str = "") -> None:
        self.lines.append(line)

    def para(self, text: str, indent: int = 2, first: str | None = None) -> None:
        pad = " " * indent
        self.lines.extend(
            textwrap.wrap(
                text,
                width=self.width,
                initial_indent=first if first is not None else pad,
                subsequent_indent=pad if first is None else " " * len(first),
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [pad]
        )

    def bullet(self, text: str, indent: int = 2) -> None:
        self.para(text, indent=indent + 2, first=" " * indent + "- ")

    def block(self, text: str, indent: int = 4) -> None:
        for line in text.splitlines():
            self.lines.append(" " * indent + line)

    def heading(self, title: str) -> None:
        self.blank()
        self.lines.extend(
            textwrap.wrap(
                title,
                width=self.width,
                subsequent_indent="  ",
                break_long_words=False,
                break_on_hyphens=False,
            )
        )

    def table(self, header: list[str], rows: list[list[str]], right: set[int], indent: int = 2) -> None:
        lines = [header, *rows]
        widths = [max(len(r[i]) for r in lines) for i in range(len(header))]
        if indent + sum(widths) + 2 * (len(widths) - 1) > self.width:
            # too narrow for columns: one wrapped "HEADER value" list per row
            for r in rows:
                if all(v == "-" for v in r[1:]):  # nothing known (a container without a cgroup)
                    self.para(r[0], indent=indent + 2, first=" " * indent)
                    continue
                pairs = ", ".join(f"{cols.in_text(h)} {v}" for h, v in zip(header[1:], r[1:], strict=True))
                self.para(f"{r[0]}: {pairs}", indent=indent + 2, first=" " * indent)
            return
        for r in lines:
            cells = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(r)]
            self.lines.append((" " * indent + "  ".join(cells)).rstrip())

    def text(self) -> str:
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n"


def _evidence(o: _Out, cause: Cause) -> None:
    for e in cause.evidence:
        o.bullet(f"{e.text}  [{e.source}]", indent=4)


def _cause(o: _Out, cause: Cause, *, title: str = "CAUSE") -> None:
    o.heading(f"{title}: {CAUSE_TITLES[cause.kind]} ({cause.confidence})")
    o.para(cause.summary)
    if cause.evidence:
        o.raw("  Evidence:")
        _evidence(o, cause)
    if cause.alternatives:
        o.raw("  Could also be:")
        for a in cause.alternatives:
            o.bullet(a, indent=4)


def _term(c: ContainerPicture, now: str) -> str:
    if not c.last_termination:
        return "-"
    when = ago(c.last_termination_at, now)
    return c.last_termination + (f" {when}" if when else "")


# explain's tables speak the column spec's words and formats (report/columns/)
_CONTAINER = {c.key: c for c in cols.CONTAINER_COLUMNS}
MEMORY_KEYS = ("container", "memory", "request", "limit", "pct_request", "pct_limit", "headroom", "restarts")
MEMORY_HEADER = [_CONTAINER[k].title for k in MEMORY_KEYS]


def _memory_rows(p: PodExplanation) -> list[list[str]]:
    rows = []
    for c in p.containers:
        values = (c.working_set, c.request, c.limit, c.pct_of_request, c.pct_of_limit, c.headroom, c.restarts)
        name = c.name + ("" if c.kind == "regular" else f" ({c.kind})")
        cells = (_CONTAINER[k].format.text(v) for k, v in zip(MEMORY_KEYS[1:], values, strict=True))
        rows.append([name, *cells])
    return rows


def _memory(o: _Out, p: PodExplanation, now: str) -> None:
    o.heading("MEMORY (working set vs request and limit)")
    o.table(MEMORY_HEADER, _memory_rows(p), right=set(range(1, len(MEMORY_HEADER))))
    for c in p.containers:
        if c.last_termination:
            o.bullet(f"{c.name}: last ended {_term(c, now)}")
        if c.peak is not None and c.cgroup is None:
            o.bullet(f"{c.name}: peak {size(c.peak)} (cgroup memory.peak)")
        for n in c.notes:
            o.bullet(f"{c.name}: {n}")
    _kernel(o, p)


def _kernel_title(p: PodExplanation) -> str:
    sources = {c.cgroup.source for c in p.containers if c.cgroup is not None}
    if p.cgroup is not None:
        sources.add(p.cgroup.source)
    if sources == {"summary"}:
        return "kubelet Summary API: working set, usage and RSS only, no collector pod"
    pictures = [c.cgroup for c in p.containers if c.cgroup is not None] + [p.cgroup]
    v1 = any(g is not None and g.oom_kills_file == "memory.oom_control" for g in pictures)
    oom_file = "memory.oom_control" if v1 else "memory.events"
    return f"cgroup memory.stat and {oom_file}, read by the node collector"


_FIGURE = {c.key: c for c in cols.FIGURE_COLUMNS}
KERNEL_KEYS = (
    "cg_usage",
    "cg_anon",
    "cg_active_file",
    "cg_inactive_file",
    "cg_shmem",
    "cg_kernel",
    "cg_reclaimable",
    "cg_peak",
    "cg_oom_kills",
)
KERNEL_HEADER = [_CONTAINER["container"].title, *(_FIGURE[k].title for k in KERNEL_KEYS)]


def _kernel_rows(p: PodExplanation) -> list[list[str]]:
    rows = []
    for c in p.containers:
        name = c.name + ("" if c.kind == "regular" else f" ({c.kind})")
        if c.cgroup is not None:
            rows.append([name, *(_FIGURE[k].text(c.cgroup) for k in KERNEL_KEYS)])
        elif c.no_cgroup is not None:  # read, and not there: as `kubectl mem cgroups` shows it
            rows.append([cols.no_cgroup(name, c.no_cgroup), *("-" for _ in KERNEL_KEYS)])
    if p.cgroup is not None:
        rows.append(["(pod)", *(_FIGURE[k].text(p.cgroup) for k in KERNEL_KEYS)])
    return rows


def _pod_kills(p: PodExplanation) -> str:
    g = p.cgroup
    if g is not None and g.oom_kills is None and g.oom_kills_not_counted:
        return f"pod cgroup: OOM kills {g.oom_kills_not_counted}"
    if g is None or g.oom_kills is None:
        return ""
    file = g.oom_kills_file or "memory.events"
    if not g.oom_kills and not g.ooms:
        return f"pod cgroup: no OOM kill counted by the kernel since the pod started ({file} oom_kill 0)"
    kills = f"{g.oom_kills} OOM kill" + ("" if g.oom_kills == 1 else "s")
    ooms = (
        ""
        if g.ooms is None
        else f", {g.ooms} time{'' if g.ooms == 1 else 's'} a cgroup of it reached its limit"
    )
    return (
        f"pod cgroup: {kills} counted by the kernel since the pod started ({file} oom_kill){ooms}; "
        "a container's own counters start again with each container instance"
    )


def _kernel(o: _Out, p: PodExplanation) -> None:
    rows = _kernel_rows(p)
    if not rows:
        return
    o.heading(f"KERNEL ({_kernel_title(p)})")
    o.table(KERNEL_HEADER, rows, right=set(range(1, len(KERNEL_HEADER))))
    for c in p.containers:
        if c.cgroup is not None and c.cgroup.reclaim:
            o.bullet(f"{c.name}: {c.cgroup.reclaim}")
    kills = _pod_kills(p)
    if kills:
        o.bullet(kills)


def _eviction_head(ev: EvictionSection) -> str:
    if ev.first is None and not ev.critical:
        return f"EVICTION: not ranked on {ev.node}"
    if ev.critical:
        return f"EVICTION: never evicted from {ev.node} (critical pod), EVICT# {ev.place}"
    return f"EVICTION: {ev.words} (EVICT# {ev.place})"


def _eviction(o: _Out, ev: EvictionSection | None) -> None:
    if ev is None:
        o.heading("EVICTION: the pod is not scheduled on a node")
        return
    o.heading(_eviction_head(ev))
    for w in ev.why:
        o.bullet(w)
    if ev.ahead:
        cut = f" ({len(ev.ahead)} of {ev.ahead_total} shown)" if ev.ahead_total > len(ev.ahead) else ""
        o.bullet(f"surely ranked before it{cut}: " + ", ".join(ev.ahead))
    if ev.node_headroom is not None:
        o.bullet(
            f"node {ev.node}: memory.available {size(ev.node_available)}"
            f"{AVAILABLE_FROM.get(ev.node_available_from, '')}, eviction threshold "
            f"{size(ev.node_threshold)}, headroom {size(ev.node_headroom)}"
            + (" (MemoryPressure)" if ev.memory_pressure else "")
        )
    else:
        o.bullet(
            f"node {ev.node}: headroom unknown (no node metrics)"
            + (", reports MemoryPressure" if ev.memory_pressure else "")
        )


def _setting(s: Setting) -> str:
    """`GOGC=100` for a plain env var, the flag itself otherwise."""
    if s.source == f"env {s.name}":
        return f"{s.name}={s.value}"
    return s.value


def _runtime_line(h: RuntimeHint) -> str:
    """`Go (a guess: the word "go" in image ...)`, `JVM (from env JAVA_TOOL_OPTIONS)`, or unknown."""
    if h.runtime == "unknown":
        return "runtime unknown; it was OOM-killed, so these checks apply if it is one of these runtimes"
    name = RUNTIME_NAMES.get(h.runtime, h.runtime)
    if h.detection == "guess":
        return f"{name} (a guess from the image name: {'; '.join(h.evidence)})"
    return f"{name} (from {', '.join(h.evidence)})"


def _runtime(o: _Out, hints: Iterable[RuntimeHint]) -> None:
    hints = list(hints)
    if not hints:
        return
    o.heading("RUNTIME")
    for h in hints:
        o.para(f"{h.container}: {_runtime_line(h)}")
        for s in h.settings:
            o.bullet(f"{_setting(s)}  [{s.source}]" + (f": {s.meaning}" if s.meaning else ""), indent=4)
        if h.heap_limit is not None:
            o.bullet(f"heap ceiling {size(h.heap_limit)}: {h.heap_limit_basis}", indent=4)
        for t in h.traps:
            o.para(f"{t.severity.upper()} {t.code}: {t.title}", indent=6, first="    ! ")
            o.para(t.detail, indent=6)
            if t.fix is not None:
                o.para(f"Fix: {t.fix.summary}", indent=6)
                o.block(t.fix.yaml, indent=8)
                if t.fix.why:
                    o.para(t.fix.why, indent=6)
        for n in h.notes:
            o.bullet(n, indent=4)


def _recommendation(o: _Out, r: Recommendation, title: str = "RECOMMENDATION") -> None:
    o.heading(title)
    for c in r.containers:
        o.para(
            f"{c.container}: {change_text('request', c.current_request, c.request, c.request_changed)}, "
            f"{change_text('limit', c.current_limit, c.limit, c.limit_changed)}"
        )
        o.para(f"based on {c.usage_source}", indent=4)
        for f in c.formula:
            o.bullet(f, indent=4)
    change = "" if r.qos_after == r.qos_before else f" (now {r.qos_before})"
    o.para(f"QoS class after the change: {r.qos_after}{change}. {r.qos_after_why}.")
    if r.command:
        o.raw("  Command:")
        o.block(r.command, indent=4)
    elif not any(c.changed for c in r.containers):
        o.para("Nothing to change from what is known.")
    for c in r.caveats:
        o.bullet(c)


def _pod_sections(o: _Out, p: PodExplanation, now: str) -> None:
    _cause(o, p.cause)
    for c in p.other_causes:
        _cause(o, c, title="ALSO")
    _memory(o, p, now)
    src = "status.qosClass" if p.qos.from_status else "computed: status.qosClass not set"
    o.heading(f"QOS: {p.qos.qos_class} ({src})")
    o.para(p.qos.why)
    _eviction(o, p.eviction)
    scores = ", ".join(f"{n} {s}" for n, s in p.oom_score.scores)
    o.heading(f"OOM_SCORE_ADJ: {scores}")
    o.para(p.oom_score.meaning)
    _runtime(o, p.runtime)


def figures_sentence(f: WorkloadFigures) -> str:
    """The workload's row of `kubectl mem workloads`, in words."""
    pods = f"{f.active_pods} pod{'s' if f.active_pods != 1 else ''} running"
    if f.desired_pods is not None:
        pods += f" of {f.desired_pods} desired"
    if f.used is None:
        usage = "working set unknown (no usage for any of them)"
    else:
        at_least = "at least " if f.unmeasured_pods else ""
        idle_at_least = "at least " if f.unmeasured_pods or f.idle_unmeasured_pods else ""
        usage = f"working set {at_least}{size(f.used)}, idle {idle_at_least}{size(f.idle)}"
        if f.idle_percent is not None:
            usage += f" ({pct(f.idle_percent)} of what they request)"
        if f.unmeasured_pods:
            usage += f"; {f.unmeasured_pods} without usage, not counted"
    if f.limits is not None:
        limits = f"limits {size(f.limits)}"
    else:
        n = f.containers_without_limit
        limits = f"unbounded: {n} container{'s' if n != 1 else ''} without a limit"
    text = (
        f"{pods}: requests {size(f.requested)}, {usage}; {limits}; "
        f"OOM kills {f.oom_kills}, evictions {f.evictions}."
    )
    if f.saving is not None:
        verb = "frees" if f.saving >= 0 else "asks for"
        text += f" The recommendation below {verb} {size(abs(f.saving))} of request across them."
    if f.history:
        text += f" It rests on {f.history}."
    return text


def render_text(e: Explanation, *, width: int = 100) -> str:
    o = _Out(width)
    if e.workload is None:
        p = e.pods[0]
        risk = p.risk_level + ("+" if p.risk_up_to else "")
        o.para(
            f"{e.target} in namespace {e.namespace}, node {p.node or '<none>'}, status {p.status or '?'}, "
            f"risk {risk}",
            indent=2,
            first="",
        )
    else:
        o.para(
            f"{e.target} in namespace {e.namespace}: {len(e.pods)} pod{'s' if len(e.pods) != 1 else ''}",
            indent=2,
            first="",
        )
    o.heading("VERDICT")
    o.para(e.verdict)
    if e.workload is not None:
        if e.figures is not None:
            o.heading("MEMORY ACROSS THE PODS (as kubectl mem workloads counts it)")
            o.para(figures_sentence(e.figures))
        o.heading("SHARED BY THE PODS")
        for s in e.shared:
            o.bullet(s)
        o.heading("PODS (worst first)")
        rows = [
            [
                p.name,
                p.status,
                p.node or "<none>",
                CAUSE_SHORT[p.cause.kind],
                size(p.working_set),
                str(sum(c.restarts for c in p.containers)),
                p.eviction.place if p.eviction is not None else "-",
                p.risk_level + ("+" if p.risk_up_to else ""),
            ]
            for p in e.pods
        ]
        o.table(
            ["NAME", "STATUS", "NODE", "CAUSE", "WORKING SET", "RESTARTS", "EVICT#", "RISK"],
            rows,
            right={4, 5, 6},
        )
        worst = e.pods[0]
        o.heading(f"WORST POD: {worst.name}")
        o.para(worst.verdict)
        _pod_sections(o, worst, e.taken_at)
        _recommendation(
            o, e.recommendation, title=f"RECOMMENDATION for {e.target} (highest usage of the pods)"
        )
    else:
        _pod_sections(o, e.pods[0], e.taken_at)
        _recommendation(o, e.recommendation)
    if e.missing:
        o.heading("NOT KNOWN")
        for m in e.missing:
            o.bullet(m)
    return o.text()


# ---------------------------------------------------------------------------------------------
# markdown


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|")


def _md_pod(lines: list[str], p: PodExplanation, now: str, level: str = "##") -> None:
    for i, c in enumerate((p.cause, *p.other_causes)):
        lines += [
            "",
            f"{level} {'Cause' if i == 0 else 'Also'}: {CAUSE_TITLES[c.kind]} ({c.confidence})",
            "",
            c.summary,
            "",
        ]
        for ev in c.evidence:
            lines.append(f"- {ev.text} (`{ev.source}`)")
        for a in c.alternatives:
            lines.append(f"- *Could also be:* {a}")
    lines += [
        "",
        f"{level} Memory",
        "",
        "| " + " | ".join(h.lower() for h in MEMORY_HEADER) + " | last end |",
        "|---|" + "--:|" * (len(MEMORY_HEADER) - 1) + "---|",
    ]
    for c, row in zip(p.containers, _memory_rows(p), strict=True):
        lines.append("| " + " | ".join(row) + f" | {_md_escape(_term(c, now))} |")
    notes = [f"- {c.name}: {n}" for c in p.containers for n in c.notes]
    if notes:
        lines += ["", *notes]
    kernel = _kernel_rows(p)
    if kernel:
        lines += [
            "",
            f"{level} Kernel ({_kernel_title(p)})",
            "",
            "| " + " | ".join(h.lower() for h in KERNEL_HEADER) + " |",
            "|---|" + "--:|" * (len(KERNEL_HEADER) - 1),
            *("| " + " | ".join(r) + " |" for r in kernel),
        ]
        bullets = [f"- {c.name}: {c.cgroup.reclaim}" for c in p.containers if c.cgroup and c.cgroup.reclaim]
        kills = _pod_kills(p)
        bullets += [f"- {kills}"] if kills else []
        if bullets:
            lines += ["", *bullets]
    src = "status.qosClass" if p.qos.from_status else "computed"
    lines += ["", f"{level} QoS: {p.qos.qos_class} ({src})", "", p.qos.why]
    ev = p.eviction
    if ev is not None:
        lines += ["", f"{level} {_eviction_head(ev).replace('EVICTION: ', 'Eviction: ')}", ""]
        lines += [f"- {w}" for w in ev.why]
        if ev.node_headroom is not None:
            lines.append(
                f"- node {ev.node}: memory.available {size(ev.node_available)}"
                f"{AVAILABLE_FROM.get(ev.node_available_from, '')}, threshold "
                f"{size(ev.node_threshold)}, headroom {size(ev.node_headroom)}"
            )
    scores = ", ".join(f"{n} {s}" for n, s in p.oom_score.scores)
    lines += ["", f"{level} oom_score_adj: {scores}", "", p.oom_score.meaning]
    if p.runtime:
        lines += ["", f"{level} Runtime"]
        for h in p.runtime:
            lines += ["", f"**{h.container}**: {_runtime_line(h)}", ""]
            for s in h.settings:
                lines.append(f"- `{_setting(s)}` ({s.source})" + (f": {s.meaning}" if s.meaning else ""))
            if h.heap_limit is not None:
                lines.append(f"- heap ceiling {size(h.heap_limit)}: {h.heap_limit_basis}")
            for t in h.traps:
                lines += ["", f"**{t.severity}: {t.title}** (`{t.code}`)", "", t.detail]
                if t.fix is not None:
                    lines += ["", f"Fix: {t.fix.summary}", "", "```yaml", t.fix.yaml, "```", "", t.fix.why]
            for n in h.notes:
                lines.append(f"- {n}")


def _md_rec(lines: list[str], r: Recommendation, title: str) -> None:
    lines += ["", f"## {title}", ""]
    for c in r.containers:
        request = change_text("request", c.current_request, c.request, c.request_changed, arrow="→")
        limit = change_text("limit", c.current_limit, c.limit, c.limit_changed, arrow="→")
        lines.append(f"- **{c.container}**: {request}, {limit}, based on {c.usage_source}")
        lines += [f"  - `{f}`" for f in c.formula]
    lines += ["", f"QoS class after the change: **{r.qos_after}**. {r.qos_after_why}."]
    if r.command:
        lines += ["", "```sh", r.command, "```"]
    if r.caveats:
        lines += ["", *[f"- {c}" for c in r.caveats]]


def render_markdown(e: Explanation) -> str:
    lines = [f"# {e.target} (namespace {e.namespace})"]
    if e.workload is None:
        p0 = e.pods[0]
        risk = p0.risk_level + ("+" if p0.risk_up_to else "")
        lines += ["", f"Node {p0.node or '<none>'}, status {p0.status or '?'}, risk {risk}."]
    lines += ["", "## Verdict", "", e.verdict]
    if e.workload is not None:
        if e.figures is not None:
            lines += ["", "## Memory across the pods", "", figures_sentence(e.figures)]
        lines += ["", "## Shared by the pods", "", *[f"- {s}" for s in e.shared]]
        lines += [
            "",
            "## Pods (worst first)",
            "",
            "| pod | status | node | cause | restarts | evict# | risk |",
            "|---|---|---|---|--:|--:|---|",
        ]
        for p in e.pods:
            lines.append(
                f"| {p.name} | {p.status} | {p.node or '-'} | {CAUSE_TITLES[p.cause.kind]} | "
                f"{sum(c.restarts for c in p.containers)} | {p.eviction.place if p.eviction else '-'} | "
                f"{p.risk_level + ('+' if p.risk_up_to else '')} |"
            )
        worst = e.pods[0]
        lines += ["", f"## Worst pod: {worst.name}", "", worst.verdict]
        _md_pod(lines, worst, e.taken_at, level="###")
        _md_rec(lines, e.recommendation, f"Recommendation for {e.target}")
    else:
        _md_pod(lines, e.pods[0], e.taken_at)
        _md_rec(lines, e.recommendation, "Recommendation")
    if e.missing:
        lines += ["", "## Not known", "", *[f"- {m}" for m in e.missing]]
    return "\n".join(lines) + "\n"
