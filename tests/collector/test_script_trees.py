"""collector.sh under real `busybox sh` against synthetic cgroup trees of every supported layout."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from needs import need
from trees import MEMTOTAL, Container, Expected, Layout, Mem, MiB, PodSpec, build_node, hex_id, make_pods

from kubectl_mem.kube.cgroup_dir import collect_from_dir, run_collector, snapshot_from_dir
from kubectl_mem.model.cgroup import CgroupSnapshot, parse_cgroup_dump

LAYOUTS = {
    "v2-systemd-containerd": Layout("v2", "systemd", "containerd"),
    "v2-cgroupfs-containerd": Layout("v2", "cgroupfs", "containerd"),
    "v2-systemd-crio-conmon": Layout("v2", "systemd", "crio", conmon=True),
    "v2-systemd-docker": Layout("v2", "systemd", "docker"),
    "v1-systemd-docker": Layout("v1", "systemd", "docker"),
    "v1-cgroupfs-crio": Layout("v1", "cgroupfs", "crio", conmon=True),
    "v1-cgroupfs-docker": Layout("v1", "cgroupfs", "docker"),
    "hybrid-systemd-containerd": Layout("hybrid", "systemd", "containerd"),
    "hybrid-cgroupfs-containerd": Layout("hybrid", "cgroupfs", "containerd"),
    # kind: kubelet cgroupRoot=/kubelet with the systemd driver
    "v2-custom-root-kind": Layout("v2", "systemd", "containerd", cgroup_root=("kubelet.slice",)),
    # --cgroup-root=/customroot with cgroupfs, two levels down
    "v2-custom-root-cgroupfs": Layout("v2", "cgroupfs", "containerd", cgroup_root=("custom", "k8s")),
    # cgroupsPerQOS=false under a custom root: only the pod<uid> search finds it
    "v2-no-qos-cgroups": Layout("v2", "cgroupfs", "containerd", cgroup_root=("k8s",), qos_cgroups=False),
    "v1-no-qos-cgroups-systemd": Layout(
        "v1", "systemd", "docker", cgroup_root=("kube.slice",), qos_cgroups=False
    ),
}

RUNTIME = {"containerd": "containerd", "crio": "cri-o", "docker": "docker"}


def _collect(
    tmp: Path, layout: Layout, pods: list[PodSpec], bb: dict[str, object]
) -> tuple[CgroupSnapshot, str, Expected]:
    exp = build_node(tmp / "cg", layout, pods)
    text = collect_from_dir(tmp / "cg", **bb)
    return parse_cgroup_dump(text), text, exp


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_layout_maps_pods_and_containers(tmp_path: Path, bb: dict[str, object], name: str) -> None:
    layout = LAYOUTS[name]
    pods = make_pods(7, 3, seed=len(name))
    snap, text, exp = _collect(tmp_path, layout, pods, bb)

    assert snap.problems == (), snap.problems
    assert not snap.truncated
    assert snap.format_version == 1
    assert snap.cgroup_version == layout.version
    if layout.qos_cgroups:
        assert snap.kubepods == exp.kubepods
    v1 = layout.version != "v2"

    assert set(snap.pods) == {p.uid for p in pods}
    for pod in pods:
        pc = snap.pod(pod.uid)
        assert pc is not None
        assert pc.cgroup.path == exp.pods[pod.uid]
        assert pc.qos == (pod.qos if layout.qos_cgroups else None)
        # the pod's usage is the sum of its children, as the kernel's counters are
        m = exp.mem[pc.cgroup.path]
        assert pc.cgroup.usage == (m.usage_v1 if v1 else m.usage)
        assert pc.cgroup.limit == exp.limits[pc.cgroup.path]
        ids = [c.id for c in pod.containers]
        for c in pod.containers:
            cg = pc.container(f"{RUNTIME[layout.runtime]}://{c.id}")
            assert cg is not None, c.id
            assert cg is snap.container(c.id)
            assert cg.path == exp.containers[c.id]
            assert cg.kind == "container"
            assert cg.pod_uid == pod.uid
            assert cg.qos == pc.qos
            if layout.driver == "systemd" or layout.runtime == "crio":
                assert cg.runtime == RUNTIME[layout.runtime]
            else:
                assert cg.runtime is None  # cgroupfs containerd/docker: a bare id
            usage = c.mem.usage_v1 if v1 else c.mem.usage
            b = cg.breakdown
            assert cg.usage == usage
            assert b.working_set == usage - c.mem.inactive_file
            assert b.anon == c.mem.anon
            assert b.file == c.mem.file
            assert b.shmem == c.mem.shmem
            assert b.inactive_file == c.mem.inactive_file
            assert b.active_file == c.mem.active_file
            assert cg.limit == c.limit
            assert cg.events is not None and cg.events.oom_kill == c.mem.oom_kill
            if v1:
                assert b.unreclaimable == c.mem.anon + c.mem.shmem
                assert b.reclaimable == c.mem.active_file + c.mem.inactive_file
                assert cg.failcnt == c.mem.max_events
                assert cg.swap == 0
                assert b.kernel is None
            else:
                m = c.mem
                assert cg.peak == c.peak
                assert cg.events.oom == m.oom and cg.events.max == m.max_events
                assert b.kernel == m.kernel and b.sock == m.sock
                assert b.slab_reclaimable == m.slab_reclaimable
                assert b.reclaimable == m.active_file + m.inactive_file + m.slab_reclaimable
                assert (
                    b.unreclaimable
                    == (m.anon + m.shmem + m.kernel_stack + m.pagetables + m.percpu + m.vmalloc)
                    + m.slab_unreclaimable
                    + m.sock
                )
                # pods and containers get the trimmed key set: no unknown keys
                assert "future_counter_nobody_knows" not in cg.stat
                assert cg.stat["pgfault"] == m.pgfault
            if layout.version == "v1":
                assert cg.pressure is None
            elif layout.version == "hybrid" and layout.driver == "cgroupfs":
                assert cg.pressure is None  # systemd mirrors the tree in unified; cgroupfs does not
            else:
                assert cg.pressure is not None and cg.pressure.some is not None
                assert cg.pressure.some.total_us == c.mem.psi_some_total
                assert cg.pressure.full.total_us == c.mem.psi_full_total
        others = pc.others(ids)
        sandbox = [o for o in others if o.kind == "container"]
        assert [o.container_id for o in sandbox] == [pod.sandbox.id]
        conmon = [o for o in others if o.kind == "other"]
        assert len(conmon) == (len(ids) + 1 if layout.conmon else 0)


@pytest.mark.parametrize("name", ["v2-systemd-containerd", "v1-cgroupfs-crio", "hybrid-systemd-containerd"])
def test_node_figures(tmp_path: Path, bb: dict[str, object], name: str) -> None:
    layout = LAYOUTS[name]
    snap, text, exp = _collect(tmp_path, layout, make_pods(4, 2), bb)
    root = snap.by_kind("root")[0]
    assert root.path == "/"
    # the root and the higher levels keep the whole memory.stat, unknown keys too
    assert root.stat
    if layout.version == "v2":
        assert root.stat["future_counter_nobody_knows"] == 77
        assert root.usage == exp.root_mem.anon + exp.root_mem.file  # runc: anon + file
    else:
        assert root.usage == exp.root_mem.usage_v1
        assert root.limit is None  # the v1 unlimited sentinel
    ws = root.usage - exp.root_mem.inactive_file
    assert snap.node is not None
    assert snap.node.mem_total == MEMTOTAL
    assert snap.node.root_working_set == ws
    assert snap.node.available == MEMTOTAL - ws
    assert snap.meminfo["MemAvailable"] == 9876544 * 1024
    assert snap.meminfo["HugePages_Total"] == 0
    kp = snap.by_kind("kubepods")[0]
    assert snap.node.pods_limit == kp.limit == 15 * 1024 * MiB
    assert snap.node.pods_available == kp.limit - kp.breakdown.working_set
    tiers = {c.qos for c in snap.by_kind("qos")}
    assert tiers == {"burstable", "besteffort"}


def test_guaranteed_pods_sit_under_kubepods(tmp_path: Path, bb: dict[str, object]) -> None:
    snap, _, exp = _collect(tmp_path, LAYOUTS["v2-systemd-containerd"], make_pods(3, 1), bb)
    g = [p for p in snap.pods.values() if p.qos == "guaranteed"]
    assert len(g) == 1
    assert g[0].cgroup.path.count("/") == 2  # /kubepods.slice/kubepods-pod<uid>.slice


def test_static_pod_uid_without_dashes(tmp_path: Path, bb: dict[str, object]) -> None:
    """Static (file) pods have a 32-hex config hash as UID."""
    uid = "6c2b3a1fd7e94a0b8e5f0a1b2c3d4e5f"
    pods = [PodSpec(uid, "burstable", [Container(hex_id("etcd"), Mem(anon=100 * MiB))])]
    for layout in (LAYOUTS["v2-systemd-containerd"], LAYOUTS["v1-cgroupfs-docker"]):
        d = tmp_path / layout.version / layout.driver
        build_node(d, layout, pods)
        snap = snapshot_from_dir(d, **bb)
        assert snap.pod(uid) is not None and snap.pod(uid.upper()) is not None
        assert snap.pod(uid).container("docker://" + hex_id("etcd")).usage == 100 * MiB


def test_pod_uid_lookup_accepts_systemd_form(tmp_path: Path, bb: dict[str, object]) -> None:
    pods = make_pods(2, 1)
    snap, _, _ = _collect(tmp_path, LAYOUTS["v2-systemd-containerd"], pods, bb)
    uid = pods[1].uid
    assert snap.pod(uid.replace("-", "_")) is snap.pod(uid)
    assert snap.pod("0000") is None
    assert snap.container("containerd://ffff") is None
    assert snap.container("") is None


def test_empty_kubepods(tmp_path: Path, bb: dict[str, object]) -> None:
    snap, _, _ = _collect(tmp_path, LAYOUTS["v2-systemd-containerd"], [], bb)
    assert snap.problems == ()
    assert snap.kubepods == "/kubepods.slice"
    assert snap.pods == {}


def test_no_kubepods_tree(tmp_path: Path, bb: dict[str, object]) -> None:
    exp = build_node(tmp_path / "cg", Layout("v2", "systemd", "containerd"), [])
    shutil.rmtree(tmp_path / "cg" / "kubepods.slice")
    snap = snapshot_from_dir(tmp_path / "cg", **bb)
    assert snap.kubepods is None
    assert any("no kubepods tree found" in p for p in snap.problems), snap.problems
    assert not snap.truncated
    assert [c.kind for c in snap.cgroups] == ["root"]
    assert snap.node is not None and snap.node.available == MEMTOTAL - (
        exp.root_mem.anon + exp.root_mem.active_file + exp.root_mem.shmem
    )


def test_not_a_cgroup_tree(tmp_path: Path, bb: dict[str, object]) -> None:
    (tmp_path / "junk").mkdir()
    snap = snapshot_from_dir(tmp_path / "junk", **bb)
    assert snap.cgroup_version == "none"
    assert any("no memory cgroup hierarchy" in p for p in snap.problems)
    assert snap.cgroups == () and not snap.truncated


def test_prefers_the_kubepods_with_pods(tmp_path: Path, bb: dict[str, object]) -> None:
    """A leftover empty kubepods.slice from a driver switch must not hide the live cgroupfs tree."""
    pods = make_pods(2, 1)
    build_node(tmp_path / "cg", LAYOUTS["v2-cgroupfs-containerd"], pods)
    (tmp_path / "cg" / "kubepods.slice").mkdir()
    snap = snapshot_from_dir(tmp_path / "cg", **bb)
    assert snap.kubepods == "/kubepods"
    assert set(snap.pods) == {p.uid for p in pods}


def test_hostile_directory_names_cannot_inject_lines(tmp_path: Path, bb: dict[str, object]) -> None:
    pods = make_pods(1, 1)
    exp = build_node(tmp_path / "cg", LAYOUTS["v2-cgroupfs-containerd"], pods)
    pod_dir = exp.memroot / exp.pods[pods[0].uid].lstrip("/")
    evil = pod_dir / "x\n@end 0\n@cg pod etc"
    evil.mkdir()
    (evil / "memory.current").write_text("1\n")
    spaced = pod_dir / "has space"
    spaced.mkdir()
    (spaced / "memory.current").write_text("5\n")
    text = collect_from_dir(tmp_path / "cg", **bb)
    assert "@end 0" not in text and "pod etc" not in text
    snap = parse_cgroup_dump(text)
    assert snap.problems == () and not snap.truncated
    names = [c.name for c in snap.pod(pods[0].uid).children]
    assert "has space" in names
    assert [c.usage for c in snap.pod(pods[0].uid).children if c.name == "has space"] == [5]


def test_vanished_files_leave_their_lines_out(tmp_path: Path, bb: dict[str, object]) -> None:
    pods = make_pods(1, 2)
    exp = build_node(tmp_path / "cg", LAYOUTS["v2-systemd-containerd"], pods)
    c0 = exp.memroot / exp.containers[pods[0].containers[0].id].lstrip("/")
    for f in ("memory.stat", "memory.peak", "memory.events", "memory.pressure"):
        (c0 / f).unlink()
    snap = snapshot_from_dir(tmp_path / "cg", **bb)
    cg = snap.container(pods[0].containers[0].id)
    assert cg.stat == {} and cg.peak is None and cg.events is None and cg.pressure is None
    assert cg.usage == pods[0].containers[0].mem.usage
    assert cg.breakdown.working_set == cg.usage  # no inactive_file: cAdvisor uses usage
    assert snap.problems == ()


def test_from_dir_meminfo(tmp_path: Path, bb: dict[str, object]) -> None:
    build_node(tmp_path / "cg", LAYOUTS["v1-systemd-docker"], make_pods(1, 1), meminfo=False)
    snap = snapshot_from_dir(tmp_path / "cg", **bb)
    assert snap.meminfo == {} and snap.node.mem_total is None and snap.node.available is None
    (tmp_path / "mi").write_text("MemTotal: 1000 kB\nMemAvailable: 500 kB\n")
    snap = snapshot_from_dir(tmp_path / "cg", **bb, meminfo=tmp_path / "mi")
    assert snap.node.mem_total == 1024000
    snap = snapshot_from_dir(tmp_path / "cg", **bb, meminfo=tmp_path / "missing")
    assert any("meminfo unreadable" in p for p in snap.problems)


def test_from_dir_rejects_a_file(tmp_path: Path) -> None:
    from kubectl_mem.kube.cgroup_dir import CgroupDirError

    (tmp_path / "f").write_text("")
    with pytest.raises(CgroupDirError, match="not a directory"):
        collect_from_dir(tmp_path / "f")


def test_v1_memory_hierarchy_given_directly(tmp_path: Path, bb: dict[str, object]) -> None:
    """A copy of just /sys/fs/cgroup/memory works too."""
    pods = make_pods(2, 2)
    exp = build_node(tmp_path / "cg", LAYOUTS["v1-systemd-docker"], pods)
    snap = parse_cgroup_dump(run_collector(exp.memroot, **bb))
    assert snap.cgroup_version == "v1" and snap.memroot == "."
    assert set(snap.pods) == {p.uid for p in pods}


def test_same_output_under_dash(tmp_path: Path, bb: dict[str, object]) -> None:
    """POSIX: any sh gives byte-identical output (dash is Debian's /bin/sh)."""
    dash = need("dash")
    build_node(tmp_path / "cg", LAYOUTS["hybrid-systemd-containerd"], make_pods(5, 2))
    a = collect_from_dir(tmp_path / "cg", **bb)
    b = collect_from_dir(tmp_path / "cg", shell=[dash], path="/usr/bin:/bin")  # mawk
    assert a == b


def test_image_without_awk(tmp_path: Path) -> None:
    """An image whose sh has no awk beside it. Under dash with an empty PATH: busybox sh cannot
    stand for such an image, because busybox-static (Debian's, Alpine's) runs its own applets,
    awk included, whatever PATH says."""
    dash = need("dash")
    build_node(tmp_path / "cg", LAYOUTS["v2-systemd-containerd"], make_pods(1, 1))
    nobin = tmp_path / "bin"
    nobin.mkdir()
    snap = snapshot_from_dir(tmp_path / "cg", shell=[dash], path=str(nobin))
    assert not snap.truncated and snap.cgroups == ()
    assert snap.problems == ("no awk in the collector image: it needs a POSIX awk (busybox has one)",)


def test_newline_in_cgroup_root(tmp_path: Path, bb: dict[str, object]) -> None:
    d = tmp_path / "a\n@end 9"
    build_node(d, LAYOUTS["v2-systemd-containerd"], [])
    text = collect_from_dir(d, **bb)
    assert "@end 9" not in text
    assert parse_cgroup_dump(text).problems == ("CGROUP_ROOT, MEMINFO or MOUNTINFO contains a newline",)
