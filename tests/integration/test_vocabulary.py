"""One vocabulary: the same fact has the same name and the same format on every screen and in every
document. The column specs are walked for what they declare; then the headers every view really
renders (`top` table and wide, `--containers`, `nodes`, `nodes NODE`, `cgroups`, explain's tables,
the interactive view's tables) are read back against them, and the cells of one pod compared
between the CLI, the interactive view and the JSON document."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kubectl_mem.cli.env import Env
from kubectl_mem.cli.run import main
from kubectl_mem.kube.snapshot_source import SnapshotSource
from kubectl_mem.model.cgroup import CgroupOverlay
from kubectl_mem.report import cgroups as cgroups_report
from kubectl_mem.report import columns as cols
from kubectl_mem.report.explain_text import KERNEL_HEADER, MEMORY_HEADER
from kubectl_mem.tui.app import make_app
from kubectl_mem.tui.config import Settings
from kubectl_mem.tui.widgets.table import LineTable

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def every_table() -> dict[str, list[cols.Column[Any]]]:
    empty = CgroupOverlay()
    return {
        "pods": cols.POD_COLUMNS,
        "containers": cols.CONTAINER_COLUMNS,
        "nodes": cols.NODE_COLUMNS,
        "eviction order": cols.eviction_order_columns(NOW),
        "figures": cols.FIGURE_COLUMNS,
        "pods --cgroups": cols.pod_cgroup_columns(empty),
        "containers --cgroups": cols.container_cgroup_columns(empty),
        "nodes --cgroups": cols.node_cgroup_columns(empty),
        "cgroups": cols.cgroup_row_columns(),
        "workloads": cols.WORKLOAD_COLUMNS,
        "namespaces": cols.NAMESPACE_COLUMNS,
    }


def all_columns() -> Iterator[tuple[str, cols.Column[Any]]]:
    for table, columns in every_table().items():
        for c in columns:
            yield table, c


# ---------------------------------------------------------------- what the specs declare


def writes(f: cols.Format) -> tuple[str, object, str]:
    """What a format writes and how (its width is only the interactive view's budget)."""
    return f.name, f.text, f.align


def test_one_fact_one_name_one_format() -> None:
    by_key: dict[str, tuple[str, cols.Column[Any]]] = {}
    by_title: dict[str, tuple[str, cols.Column[Any]]] = {}
    for table, c in all_columns():
        assert c.title == c.title.upper() and c.title.strip() == c.title, (table, c.title)
        assert c.help and not c.help.endswith("."), f"{table} {c.title}: a legend line, no final stop"
        first = by_key.setdefault(c.key, (table, c))
        assert (c.title, writes(c.format)) == (first[1].title, writes(first[1].format)), (
            f"{c.key}: {table} says {c.title} ({c.format.name}), {first[0]} {first[1].title} "
            f"({first[1].format.name})"
        )
        seen = by_title.setdefault(c.title, (table, c))
        assert writes(c.format) == writes(seen[1].format), (
            f"{c.title} is {c.format.name} in {table}, {seen[1].format.name}"
        )


def test_sort_names_are_unique_and_name_their_column() -> None:
    for columns in (cols.POD_COLUMNS, cols.NODE_COLUMNS):
        names = [n for c in columns for n in c.sort]
        assert len(names) == len(set(names))
    assert cols.POD_SORTS["memory"] == ("memory", True) and cols.POD_SORTS["rank"] == ("rank", False)
    assert cols.NODE_SORTS["headroom"] == ("headroom", False)


# ---------------------------------------------------------------- what the views render

TITLES = sorted({c.title for _, c in all_columns()}, key=len, reverse=True)


def header_titles(line: str) -> list[str]:
    """The titles a rendered header line is made of; fails on any word that is not one."""
    text = line.replace("↑", " ").replace("↓", " ").strip()
    out = []
    while text:
        title = next((t for t in TITLES if re.match(re.escape(t) + r"(\s|$)", text)), None)
        assert title is not None, f"not a column name: {text.split()[0]!r} in {line.strip()!r}"
        out.append(title)
        text = text[len(title) :].lstrip()
    return out


def cells(header: str, row: str, titles: Sequence[str]) -> dict[str, str]:
    """Each title's cell in `row`: a left-aligned column starts where its title starts, a
    right-aligned one ends where its title ends (kubectl's tables and the interactive view alike)."""
    align = {c.title: c.align for _, c in all_columns()}
    out = {}
    at = 0
    for title in titles:
        start = header.index(title, at)
        end = start + len(title)
        at = end
        if align[title] == "right":
            m = re.search(r"(\S+)\s*$", row[:end])
            out[title] = m.group(1) if m else ""
        else:
            out[title] = row[start:].split("  ")[0].strip()
    return out


def tui_cells(table: LineTable, line: str) -> dict[str, str]:
    """A rendered line of the interactive view's table, cut where its layout puts each column."""
    out, x = {}, 0
    for _, width, title in table.layout():
        out[title] = line[x : x + width].strip()
        x += width + 1
    return out


def run(argv: list[str], kubeconfig: Path) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--kubeconfig", str(kubeconfig)], Env(stdout=out, stderr=err, stdout_isatty=False))
    assert code in (0, 3), err.getvalue()
    return out.getvalue()


def table_rows(text: str) -> tuple[str, dict[str, str]]:
    """(header, {NAME or POD cell: row line})."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    header = lines[0]
    titles = header_titles(header)
    key = "NAME" if "NAME" in titles else "POD"
    return header, {cells(header, ln, titles)[key]: ln for ln in lines[1:]}


def json_path(doc: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        doc = doc[part]
    return doc


@pytest.mark.slow
async def test_every_view_speaks_the_spec(sim) -> None:
    kc = sim.kubeconfig
    rendered: dict[str, str] = {}
    for name, argv in {
        "top": ["top", "-A"],
        "top wide": ["top", "-A", "-o", "wide"],
        "top containers": ["top", "-A", "--containers", "-o", "wide"],
        "nodes": ["nodes"],
        "nodes wide": ["nodes", "-o", "wide"],
        "workloads": ["workloads", "-A", "-o", "wide"],
        "namespaces": ["workloads", "-A", "--by", "namespace", "-o", "wide"],
    }.items():
        rendered[name] = run(argv, kc)
    node_doc = json.loads(run(["nodes", "-o", "json"], kc))
    first_node = node_doc["items"][0]["name"]
    order = run(["nodes", first_node], kc).split("under memory pressure")[1].split("\n", 1)[1]
    rendered["eviction order"] = order
    pod = json.loads(run(["top", "-A", "-o", "json"], kc))["items"][0]
    explained = run(["explain", f"pod/{pod['name']}", "-n", pod["namespace"]], kc).splitlines()
    rendered["explain"] = explained[explained.index("MEMORY (working set vs request and limit)") + 1]
    for name, text in rendered.items():
        lines = text.splitlines()
        header = lines[1] if name in ("workloads", "namespaces") else lines[0]  # after the totals
        header_titles(header)  # every word of every header is a column's name

    # the same pod, cell by cell: `top -o wide`, the JSON document and the interactive view
    pods_doc = json.loads(run(["top", "-A", "-o", "json"], kc))
    header, cli_rows = table_rows(rendered["top wide"])
    titles = header_titles(header)
    spec = {c.title: c for c in cols.POD_COLUMNS}
    checked = 0
    for item in pods_doc["items"]:
        row = cells(header, cli_rows[item["name"]], titles)
        for title, text in row.items():
            c = spec[title]
            if c.json is not None and c.cell is None:
                value = json_path(item, c.json)
                if c.format is cols.PERCENT and value is not None:  # the document rounds to 0.01
                    assert abs(float(text.removesuffix("%")) - value) <= 0.51, (item["name"], title)
                else:
                    assert text == c.format.text(value), (item["name"], title)
                checked += 1
    assert checked > 100

    app = make_app(SnapshotSource(kubeconfig=str(kc), all_namespaces=True), Settings(), lambda: NOW)
    async with app.run_test(size=(260, 90)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one(LineTable)
        lines = [s.text for s in app.screen._compositor.render_strips()]
        tui_header = next(ln for ln in lines if ln.startswith("NAMESPACE"))
        tui_titles = header_titles(tui_header)
        assert set(tui_titles) == set(titles)  # wide enough: the same columns as -o wide
        assert [t for _, _, t in table.layout()] == tui_titles
        start = lines.index(tui_header)
        compared = 0
        for line in lines[start + 1 : start + table.size.height]:
            if not line.strip():
                continue
            tui = tui_cells(table, line)
            cli = cells(header, cli_rows[tui["NAME"]], titles)
            same = {t: v for t, v in tui.items() if t != "REASONS"}  # cut to its width in the view
            assert same == {t: cli[t] for t in same}, tui["NAME"]
            compared += 1
        assert compared >= 20
        await pilot.press("colon", *"nodes", "enter")
        await pilot.pause()
        lines = [s.text for s in app.screen._compositor.render_strips()]
        node_header = next(ln for ln in lines if ln.startswith("NAME "))
        cli_header, cli_nodes = table_rows(rendered["nodes wide"])
        node_table = app.screen.query_one(LineTable)
        assert [t for _, _, t in node_table.layout()] == header_titles(node_header)
        for line in lines[lines.index(node_header) + 1 :]:
            if line.strip().startswith("node-"):
                tui = tui_cells(node_table, line)
                cli = cells(cli_header, cli_nodes[tui["NAME"]], header_titles(cli_header))
                assert tui == {t: cli[t] for t in tui}
        await pilot.press("colon", *"workloads", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        wl_table = app.screen.query_one(LineTable)
        lines = [s.text for s in app.screen._compositor.render_strips()]
        titles = [t for _, _, t in wl_table.layout()]
        wl_header = next(ln for ln in lines if ln.startswith(titles[0] + " "))
        assert header_titles(wl_header) == titles


def test_cgroups_and_explain_tables_speak_the_spec() -> None:
    assert header_titles(cgroups_report.table([])) == [c.title for c in cols.cgroup_row_columns()]
    container = {c.key: c.title for c in cols.CONTAINER_COLUMNS}
    assert header_titles("  ".join(MEMORY_HEADER))[:3] == [
        container[k] for k in ("container", "memory", "request")
    ]
    assert header_titles("  ".join(KERNEL_HEADER))[-1] == "OOM-KILLS"


# ---------------------------------------------------------------- one format for a size

SIZE = re.compile(r"(?<![\w.=])-?\d+(?:\.\d+)?(?:Ki|Mi|Gi|Ti)\b")


def off_format(text: str) -> list[str]:
    """Sizes not written as the one formatter writes them (301.9Mi next to 302Mi, 1024Mi, 8.0Gi)."""
    from kubectl_mem.model.quantity import format_bytes, memory_bytes

    out = []
    for token in SIZE.findall(text):
        bare = token.removeprefix("-")
        if format_bytes(int(memory_bytes(bare))) != bare:
            out.append(token)
    return out


def test_every_view_writes_a_size_one_way(sim) -> None:
    """14.2: one formatter for quantities in every table, header and sentence. Left out on purpose:
    explain's RECOMMENDATION and RUNTIME, whose arithmetic shows its exact inputs (3035.2Mi x 1.3) and
    whose values are the ones the command and the YAML set (3968Mi)."""
    from kubectl_mem.sim.podlife import install

    install(sim).step_s = 0.02
    kc = sim.kubeconfig
    node = json.loads(run(["nodes", "-o", "json"], kc))["items"][0]["name"]
    texts = {
        " ".join(argv): run(argv, kc)
        for argv in (
            ["top", "-A", "-o", "wide"],
            ["top", "-A", "--containers", "-o", "wide"],
            ["top", "-A", "--cgroups"],
            ["nodes", "-o", "wide"],
            ["nodes", node],
            ["workloads", "-A", "-o", "wide"],
            ["workloads", "-A", "--by", "namespace"],
            ["cgroups", f"node/{node}"],
        )
    }
    pods = json.loads(run(["top", "-A", "-o", "json"], kc))["items"]
    for p in pods[:: max(1, len(pods) // 12)]:
        text = run(["explain", f"pod/{p['name']}", "-n", p["namespace"]], kc)
        texts[f"explain {p['name']}"] = re.split(r"\n(?:RECOMMENDATION|RUNTIME)\b", text)[0]
    assert {name: off_format(text) for name, text in texts.items() if off_format(text)} == {}
    assert off_format("301.9Mi 1024Mi 8.0Gi 302Mi 1Gi 1.5Gi") == ["301.9Mi", "1024Mi", "8.0Gi"]
