"""What the kernel's OOM counters count, on synthetic v1 and v2 trees read by the real collector
script (busybox sh), as a real node showed it (tests/realnode):

- v1 memory.oom_control is local: a kill counts only in the killed process's cgroup, the
  container's; the pod's own counter stays 0 whatever its containers went through, so the pod's
  count is "not counted by cgroup v1" (None), never 0;
- v2 memory.events is hierarchical: the pod's oom_kill counts every kill since the pod started,
  also of container instances long gone; unless cgroup2 is mounted with memory_localevents.

And a container without a cgroup (in back-off) keeps its row, as not running."""

from __future__ import annotations

from pathlib import Path

import pytest
from trees import Layout, build_node, make_pods

from kubectl_mem.kube.cgroup_dir import run_collector
from kubectl_mem.model.cgroup import (
    NOT_COUNTED_LOCALEVENTS,
    NOT_COUNTED_V1,
    Figures,
    NotRunning,
    attach,
    cgroup_figures,
    parse_cgroup_dump,
)
from kubectl_mem.model.explain.evidence import KERNEL_SOURCE, KERNEL_SOURCE_V1, pod_kernel_evidence
from kubectl_mem.model.records import ContainerStatus, Pod, Termination
from kubectl_mem.report import cgroups as rep


def _node(tmp_path: Path, layout: Layout) -> tuple[Path, Path, Path, Path, str]:
    """One Burstable pod with two containers; (cgroup root, memory root, pod dir, first container
    dir, the second container's id)."""
    [spec] = make_pods(1, 2)
    exp = build_node(tmp_path / "cg", layout, [spec])
    pod_dir = exp.memroot / exp.pods[spec.uid].lstrip("/")
    c0 = exp.memroot / exp.containers[spec.containers[0].id].lstrip("/")
    return tmp_path / "cg", exp.memroot, pod_dir, c0, spec.uid


def _write_v1_kills(pod_dir: Path, c0: Path, kills: int) -> None:
    """As the kernel leaves it: the kills in the container's cgroup, the pod's own counter 0."""
    for d, n in ((pod_dir, 0), (c0, kills)):
        (d / "memory.oom_control").write_text(f"oom_kill_disable 0\nunder_oom 0\noom_kill {n}\n")


def _write_v2_events(d: Path, *, oom: int, oom_kill: int) -> None:
    (d / "memory.events").write_text(
        f"low 0\nhigh 0\nmax 9\noom {oom}\noom_kill {oom_kill}\noom_group_kill 0\n"
    )


def _pod_record(uid: str, c0_id: str, *, hog_id: str | None = None) -> Pod:
    statuses = [ContainerStatus("app", container_id=f"containerd://{c0_id}", state="running")]
    if hog_id is not None:
        statuses.append(
            ContainerStatus(
                "hog",
                container_id=f"containerd://{hog_id}",
                restart_count=4,
                state="waiting",
                state_reason="CrashLoopBackOff",
                last_termination=Termination(reason="OOMKilled", exit_code=137),
            )
        )
    statuses.insert(
        0,
        ContainerStatus(
            "init", kind="init", container_id="containerd://" + "e" * 64, state="terminated",
            terminated=Termination(reason="Completed"),
        ),
    )  # fmt: skip
    return Pod("ns", "p", uid, node="n1", phase="Running", statuses=tuple(statuses))


@pytest.mark.parametrize("version", ["v1", "hybrid"])
def test_v1_pod_count_is_not_counted_never_0(tmp_path: Path, bb: dict[str, object], version: str) -> None:
    root, _mem, pod_dir, c0, uid = _node(tmp_path, Layout(version, "cgroupfs", "containerd"))
    _write_v1_kills(pod_dir, c0, 3)
    snap = parse_cgroup_dump(run_collector(root, **bb))
    assert snap.oom_events == "local"
    _node_cg, [pc] = attach("n1", snap, [])
    assert pc.figures.oom_kills is None
    assert pc.figures.oom_kills_not_counted == NOT_COUNTED_V1
    assert pc.figures.oom_kills_file == "memory.oom_control" and pc.figures.oom_kills_scope == "cgroup"
    by_path = {o.figures.path: o.figures for o in pc.others}
    killed = by_path["/" + str(c0.relative_to(_mem))]
    # the container that lived on while its processes were killed: its own cgroup counts them
    assert killed.oom_kills == 3 and killed.oom_kills_not_counted is None
    assert killed.oom_kills_scope == "cgroup"
    # nothing that aggregates children says 0 either
    for cg in snap.cgroups:
        if cg.kind in ("root", "kubepods", "qos"):
            assert rep.figures_doc(cgroup_figures(cg))["oomKills"] is None
    assert "not counted by cgroup v1" in rep.node_line("n1", snap)


def test_v2_pod_count_is_hierarchical(tmp_path: Path, bb: dict[str, object]) -> None:
    """Two kills in container instances that are gone: only the pod's memory.events remembers."""
    root, _mem, pod_dir, c0, _uid = _node(tmp_path, Layout("v2", "cgroupfs", "containerd"))
    _write_v2_events(pod_dir, oom=2, oom_kill=2)
    _write_v2_events(c0, oom=0, oom_kill=0)
    text = run_collector(root, **bb)
    assert "events=-" in text.splitlines()[1]  # a copied tree: no mount to read options from
    snap = parse_cgroup_dump(text)
    assert snap.oom_events == "hierarchical"
    _n, [pc] = attach("n1", snap, [])
    assert (pc.figures.oom_kills, pc.figures.ooms) == (2, 2)
    assert pc.figures.oom_kills_scope == "subtree" and pc.figures.oom_kills_file == "memory.events"
    assert pc.figures.oom_kills_not_counted is None
    assert rep.oom_kills_note(snap) == ""


@pytest.mark.parametrize(
    ("options", "events"),
    [("rw,nsdelegate,memory_recursiveprot", "hierarchical"), ("rw,nsdelegate,memory_localevents", "local")],
)
def test_v2_mount_options_decide(tmp_path: Path, bb: dict[str, object], options: str, events: str) -> None:
    root, _mem, pod_dir, c0, _uid = _node(tmp_path, Layout("v2", "cgroupfs", "containerd"))
    _write_v2_events(pod_dir, oom=0, oom_kill=0)  # local: the pod's own processes (none)
    _write_v2_events(c0, oom=1, oom_kill=1)
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
        f"30 22 0:26 / {root.resolve()} rw,nosuid,nodev,relatime shared:4 - cgroup2 cgroup2 {options}\n"
    )
    text = run_collector(root.resolve(), mountinfo=mountinfo, **bb)
    assert f"events={events}" in text.splitlines()[1]
    snap = parse_cgroup_dump(text)
    assert snap.oom_events == events
    _n, [pc] = attach("n1", snap, [])
    if events == "local":
        assert pc.figures.oom_kills is None and pc.figures.oom_kills_not_counted == NOT_COUNTED_LOCALEVENTS
        assert "memory_localevents" in rep.node_line("n1", snap)
    else:
        assert pc.figures.oom_kills == 0 and pc.figures.oom_kills_scope == "subtree"


def test_an_older_collector_without_events_is_read_as_the_kernel_default() -> None:
    v2 = parse_cgroup_dump("@kubectl-mem-cgroups 1\n@info cgroup=v2 memroot=. psi=.\n@end 0\n")
    v1 = parse_cgroup_dump("@kubectl-mem-cgroups 1\n@info cgroup=v1 memroot=. psi=-\n@end 0\n")
    assert (v2.oom_events, v1.oom_events) == ("hierarchical", "local")


def test_container_in_back_off_is_shown_not_running(tmp_path: Path, bb: dict[str, object]) -> None:
    """Between two restarts the container has no cgroup (runc removed it): it is a row with the
    API's reason, not missing; a finished init container is not listed."""
    root, _mem, pod_dir, c0, uid = _node(tmp_path, Layout("v1", "cgroupfs", "containerd"))
    snap = parse_cgroup_dump(run_collector(root, **bb))
    gone = "d" * 64
    _n, [pc] = attach("n1", snap, [_pod_record(uid, c0.name, hog_id=gone)])
    assert pc.not_running == (NotRunning("hog", "CrashLoopBackOff", gone),)
    assert [c.name for c in pc.containers] == ["app"]
    rows = rep.rows([pc])
    table = rep.table(rows)
    [hog] = [line for line in table.splitlines() if "hog" in line]
    assert "hog (no cgroup: CrashLoopBackOff)" in hog
    doc = rep.node_doc("n1", snap, rows, None)
    [p] = doc["pods"]
    assert [c["name"] for c in p["containers"]][-1] == "hog"
    assert p["containers"][-1] == {
        "name": "hog",
        "running": False,
        "state": "CrashLoopBackOff",
        "memory": None,
    }
    assert p["containers"][0]["running"] is True and p["containers"][0]["memory"]["oomKillsScope"] == "cgroup"


def test_explain_sentences_name_the_file_and_never_say_0() -> None:
    pod_cg = Figures(source="cgroup", oom_kills_file="memory.oom_control", oom_kills_scope="cgroup",
                     oom_kills_not_counted=NOT_COUNTED_V1)  # fmt: skip

    class PV:  # the two fields pod_kernel_evidence reads
        oom_kills = 1

    [ev] = pod_kernel_evidence(PV(), pod_cg)  # type: ignore[arg-type]
    assert "not counted by cgroup v1" in ev.text and ev.source == KERNEL_SOURCE_V1
    assert "memory.events" not in ev.text and " 0 " not in ev.text
    v2 = Figures(
        source="cgroup", oom_kills=4, ooms=4, oom_kills_file="memory.events", oom_kills_scope="subtree"
    )
    [ev] = pod_kernel_evidence(PV(), v2)  # type: ignore[arg-type]
    assert "memory.events oom_kill 4" in ev.text and ev.source == KERNEL_SOURCE
