"""The pure parser: real memory.stat contents, every truncation point, garbage, and the helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from samples import V1_ROOT_STAT, V1_ROOT_USAGE, V2_STAT
from trees import Layout, build_node, make_pods

from kubectl_mem.kube.cgroup_dir import collect_from_dir
from kubectl_mem.model.cgroup import (
    MAX_PROBLEMS,
    V1_UNLIMITED,
    container_from_cgroup_name,
    normalize_pod_uid,
    parse_cgroup_dump,
    parse_limit,
    pod_uid_from_cgroup_name,
    qos_from_cgroup_name,
    split_container_id,
    working_set,
)

V2_KEYS = (
    "anon file kernel kernel_stack pagetables sec_pagetables percpu sock vmalloc shmem zswap zswapped "
    "file_mapped file_dirty file_writeback swapcached anon_thp inactive_anon active_anon inactive_file "
    "active_file unevictable slab_reclaimable slab_unreclaimable workingset_refault_anon "
    "workingset_refault_file pgfault pgmajfault"
)
UID = "0f3c2a61-7b9e-4c1d-9a2b-3c4d5e6f7a8b"
CID = "4c1fd0a6b2e34e0e8f1a9b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e"


def pairs(stat: str) -> str:
    return " ".join(line.strip() for line in stat.strip().splitlines())


def positional(stat: str, keys: str) -> str:
    d = dict(line.split() for line in stat.strip().splitlines())
    return " ".join(d.get(k, "-") for k in keys.split())


def v2_dump(*, end: bool = True) -> str:
    usage = 4795621376 + 569593856 + 167936000 + 0  # anon + file + kernel + sock
    lines = [
        "@kubectl-mem-cgroups 1",
        "@info cgroup=v2 memroot=. psi=.",
        f"@keys {V2_KEYS}",
        "@meminfo",
        "mi MemTotal:       16337584 kB",
        "mi MemAvailable:    9876544 kB",
        "mi HugePages_Total:       0",
        "@cg root .",
        f"S {pairs(V2_STAT)}",
        "p 0.00 0.00 0.00 100 0.00 0.00 0.00 50",
        "@kubepods kubepods.slice",
        "@cg kubepods kubepods.slice",
        f"S {pairs(V2_STAT)}",
        f"m {usage} 16106127360 - 0 max",
        "@cg pod kubepods.slice/kubepods-pod" + UID.replace("-", "_") + ".slice",
        f"s {positional(V2_STAT, V2_KEYS)}",
        f"m {usage} 6442450944 - 0 max",
        f"@ctr cri-containerd-{CID}.scope",
        f"s {positional(V2_STAT, V2_KEYS)}",
        f"m {usage} 6442450944 {usage + 4096} 12288 max",
        "e 0 0 17 3 2 1",
        "p 1.50 0.75 0.25 123456 0.50 0.25 0.05 65432",
    ]
    if end:
        lines.append("@end 4")
    return "\n".join(lines) + "\n"


def test_real_v2_stat() -> None:
    snap = parse_cgroup_dump(v2_dump())
    assert snap.problems == () and not snap.truncated
    root = snap.cgroups[0]
    # every key of the real file is kept, those the parser knows nothing about too
    assert root.stat == {k: int(v) for k, v in (ln.split() for ln in V2_STAT.splitlines())}
    assert root.stat["pgdemote_kswapd"] == 0 and root.stat["thp_swpout_fallback"] == 209
    # the v2 root has no memory.current: anon + file (runc), and the kubelet's memory.available
    assert root.usage == 4795621376 + 569593856
    assert snap.node.root_working_set == 4795621376 + 569593856 - 1589248
    assert snap.node.available == 16337584 * 1024 - (4795621376 + 569593856 - 1589248)
    assert snap.node.mem_available == 9876544 * 1024
    assert snap.meminfo["HugePages_Total"] == 0

    c = snap.container(f"containerd://{CID}")
    assert c is not None and c.kind == "container" and c.runtime == "containerd"
    assert c.pod_uid == UID and c.qos == "guaranteed"
    usage = 4795621376 + 569593856 + 167936000
    b = c.breakdown
    assert c.usage == usage and c.limit == 6442450944 and c.peak == usage + 4096 and c.swap == 12288
    assert c.high is None
    assert b.working_set == usage - 1589248
    assert b.anon == 4795621376 and b.file == 569593856 and b.shmem == 560095232
    assert b.kernel == 167936000 and b.kernel_stack == 81346560 and b.pagetables == 42930176
    assert b.slab_reclaimable == 4199912 and b.slab_unreclaimable == 32974328
    assert b.percpu == 126200 and b.vmalloc == 1236992 and b.sock == 0
    assert b.reclaimable == 1589248 + 7909376 + 4199912
    assert b.unreclaimable == (
        4795621376  # anon
        + 560095232  # shmem
        + 81346560  # kernel_stack
        + 42930176  # pagetables
        + 0  # sec_pagetables
        + 126200  # percpu
        + 1236992  # vmalloc
        + 32974328  # slab_unreclaimable
        + 0  # sock
    )
    assert c.events.max == 17 and c.events.oom == 3 and c.events.oom_kill == 2
    assert c.events.oom_group_kill == 1 and c.events.under_oom is None
    assert c.pressure.some.avg10 == 1.5 and c.pressure.some.total_us == 123456
    assert c.pressure.full.avg300 == 0.05 and c.pressure.full.total_us == 65432
    # the positional lines drop unknown keys but keep every key of @keys the file had
    assert set(c.stat) == set(V2_KEYS.split())
    pod = snap.pod(UID)
    assert pod.children == (c,) and pod.cgroup.limit == 6442450944
    assert snap.node.pods_limit == 16106127360
    assert snap.node.pods_available == 16106127360 - (usage - 1589248)


def test_real_v1_stat() -> None:
    keys = (
        "total_cache total_rss total_rss_huge total_shmem total_mapped_file total_dirty total_writeback "
        "total_swap total_inactive_anon total_active_anon total_inactive_file total_active_file "
        "total_unevictable total_pgfault total_pgmajfault"
    )
    text = "\n".join(
        [
            "@kubectl-mem-cgroups 1",
            "@info cgroup=hybrid memroot=memory psi=unified",
            f"@keys {keys}",
            "@meminfo",
            "mi MemTotal:       24684084 kB",
            "@cg root .",
            f"S {pairs(V1_ROOT_STAT)}",
            f"m {V1_ROOT_USAGE} {V1_UNLIMITED} 925315072 {V1_ROOT_USAGE} 0",
            "o 0 0 0",
            "@cg kubepods kubepods",
            f"s {positional(V1_ROOT_STAT, keys)}",
            f"m {V1_ROOT_USAGE} {V1_UNLIMITED} - {V1_ROOT_USAGE + 8192} 4",
            "o 0 1 7",
            "@end 2",
            "",
        ]
    )
    snap = parse_cgroup_dump(text)
    assert snap.problems == ()
    assert snap.cgroup_version == "hybrid" and snap.memroot == "memory" and snap.psi_root == "unified"
    root = snap.cgroups[0]
    assert len(root.stat) == len(V1_ROOT_STAT.splitlines())
    assert root.stat["total_workingset_refault_file"] == 44812  # not in the parser's key list
    assert root.limit is None  # the v1 unlimited sentinel
    b = root.breakdown
    # the hierarchical total_* keys, not the root's local ones
    assert b.anon == 11378688 and b.file == 269156352 and b.shmem == 9084928
    assert b.inactive_file == 130719744 and b.active_file == 129351680
    assert b.working_set == V1_ROOT_USAGE - 130719744
    assert b.unreclaimable == 11378688 + 9084928
    assert b.reclaimable == 130719744 + 129351680
    assert b.kernel is None and b.sock is None
    assert snap.node.available == 24684084 * 1024 - (V1_ROOT_USAGE - 130719744)
    kp = snap.cgroups[1]
    assert kp.swap == 8192 and kp.failcnt == 4 and kp.peak is None
    assert kp.events.oom_kill == 7 and kp.events.under_oom is True and kp.events.oom_kill_disable is False
    assert kp.breakdown.working_set == V1_ROOT_USAGE - 130719744
    assert kp.pressure is None


@pytest.fixture(scope="module")
def full_dump(tmp_path_factory: pytest.TempPathFactory, bb: dict[str, object]) -> str:
    root = tmp_path_factory.mktemp("node")
    build_node(root, Layout("v2", "systemd", "crio", conmon=True), make_pods(4, 2))
    return collect_from_dir(root, **bb)


def test_every_truncation_point(full_dump: str) -> None:
    """Cut the output anywhere: parsing never fails, what is kept equals the whole parse, and the
    cut is reported."""
    full = parse_cgroup_dump(full_dump)
    assert full.problems == () and not full.truncated
    n_blocks = len(full.cgroups)
    for cut in range(0, len(full_dump), 7):
        part = parse_cgroup_dump(full_dump[:cut])
        assert part.truncated, cut
        assert part.problems, cut
        kept = part.cgroups
        assert kept == full.cgroups[: len(kept)], cut
        whole = full_dump[:cut].rpartition("\n")[0]  # the lines that arrived whole
        started = whole.count("\n@cg ") + whole.count("\n@ctr ")
        assert len(kept) >= started - 1, cut  # only the last, possibly partial, block is lost
        assert len(kept) < n_blocks
        for k, v in part.meminfo.items():
            assert full.meminfo[k] == v, (cut, k)
        for uid, pod in part.pods.items():
            assert pod.children == full.pods[uid].children[: len(pod.children)]


def test_cut_before_end_marker_only(full_dump: str) -> None:
    text = full_dump[: full_dump.index("@end")]
    snap = parse_cgroup_dump(text)
    assert snap.truncated and len(snap.cgroups) == len(parse_cgroup_dump(full_dump).cgroups) - 1
    assert any("no @end" in p for p in snap.problems)


def test_lost_lines_in_the_middle(full_dump: str) -> None:
    lines = full_dump.splitlines(keepends=True)
    i = next(i for i, ln in enumerate(lines) if ln.startswith("@ctr"))
    snap = parse_cgroup_dump("".join(lines[:i] + lines[i + 4 :]))
    assert snap.truncated
    assert any("@end counts" in p for p in snap.problems)


def test_garbage_lines_are_reported_and_ignored(full_dump: str) -> None:
    full = parse_cgroup_dump(full_dump)
    lines = full_dump.splitlines()
    i = next(i for i, ln in enumerate(lines) if ln.startswith("@ctr"))
    garbage = [
        "hello world",
        "s 1 2 3",
        "m 1 2 three 4 5",
        "p 1.0 x 0 0 0 0 0 0",
        "e 1 2",
        "S anon",
        "S anon x",
        "@bogus directive",
        "\x00\x01\x02 binary",
        "mi MemTotal: 5 kB",  # outside @meminfo
    ]
    text = "\n".join(lines[: i + 1] + garbage + lines[i + 1 :]) + "\n"
    snap = parse_cgroup_dump(text)
    assert not snap.truncated
    assert len(snap.problems) == len(garbage), snap.problems
    assert all(p.startswith("line ") for p in snap.problems)
    assert snap.cgroups == full.cgroups
    assert snap.meminfo == full.meminfo


def test_output_of_a_newer_format_and_noise_before_the_header(full_dump: str) -> None:
    text = 'Defaulted container "collect"\nwarning: something\n' + full_dump.replace(
        "@kubectl-mem-cgroups 1", "@kubectl-mem-cgroups 2", 1
    )
    snap = parse_cgroup_dump(text)
    assert snap.format_version == 2
    assert any("2 line(s) before the header" in p for p in snap.problems)
    assert any("newer" in p for p in snap.problems)
    assert snap.cgroups == parse_cgroup_dump(full_dump).cgroups


def test_no_header_at_all() -> None:
    for text in ("", "\n", "Error from server (BadRequest): container not started\n"):
        snap = parse_cgroup_dump(text)
        assert snap.truncated and snap.cgroups == () and snap.node is None
        assert any("not kubectl-mem collector output" in p for p in snap.problems)


def test_last_line_without_newline_is_not_trusted() -> None:
    text = v2_dump()
    # a cut inside the last number of the meminfo block must not give a wrong MemTotal
    cut = text.index("mi MemAvailable") + len("mi MemAvailable:    98")
    snap = parse_cgroup_dump(text[:cut])
    assert "MemAvailable" not in snap.meminfo and snap.meminfo["MemTotal"] == 16337584 * 1024
    assert any("incomplete" in p for p in snap.problems)


def test_lines_after_end_and_blank_lines() -> None:
    text = v2_dump().replace("@cg root .", "\n\n@cg root .") + "trailing junk\n"
    snap = parse_cgroup_dump(text)
    assert snap.problems == ("1 line(s) after @end ignored",) and not snap.truncated


def test_problems_are_capped() -> None:
    text = v2_dump().replace("@end 4\n", "xx\n" * 500 + "@end 4\n")
    snap = parse_cgroup_dump(text)
    assert len(snap.problems) == MAX_PROBLEMS + 1
    assert snap.problems[-1] == f"... and {500 - MAX_PROBLEMS} more problems"


def test_ctr_outside_a_pod_and_bad_cg() -> None:
    text = v2_dump().replace("@cg pod ", "@cg podx ")
    snap = parse_cgroup_dump(text)
    assert any("bad @cg line" in p for p in snap.problems)
    assert any("@ctr outside a pod" in p for p in snap.problems)
    assert snap.pods == {}


def test_script_warnings_become_problems() -> None:
    text = "\n".join(
        [
            "@kubectl-mem-cgroups 1",
            "@info cgroup=v2 memroot=. psi=.",
            "@keys anon",
            "@cg root .",
            "S anon 1 file 2",
            "@warn no kubepods tree found under /host/sys/fs/cgroup",
            "@kubepods -",
            "@end 1",
            "",
        ]
    )
    snap = parse_cgroup_dump(text)
    assert snap.problems == ("no kubepods tree found under /host/sys/fs/cgroup",)
    assert snap.kubepods is None and snap.cgroups[0].usage == 3
    assert snap.node.available is None  # no meminfo


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("@mscgpoekub 0123456789-.\n=max")), max_size=400))
def test_never_raises_on_noise(noise: str) -> None:
    parse_cgroup_dump("@kubectl-mem-cgroups 1\n@info cgroup=v2\n" + noise)
    parse_cgroup_dump(noise)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_never_raises_on_dropped_lines(data: st.DataObject) -> None:
    lines = v2_dump().splitlines()
    keep = data.draw(st.lists(st.booleans(), min_size=len(lines), max_size=len(lines)))
    snap = parse_cgroup_dump("\n".join(ln for ln, k in zip(lines, keep, strict=True) if k) + "\n")
    assert isinstance(snap.problems, tuple)


# --- helpers ------------------------------------------------------------------------------------


def test_parse_limit() -> None:
    assert parse_limit("max") is None
    assert parse_limit("-") is None
    assert parse_limit(None) is None
    assert parse_limit(str(V1_UNLIMITED)) is None
    assert parse_limit(2**62) is None
    assert parse_limit(2**62 - 1) == 2**62 - 1
    assert parse_limit("268435456\n") == 268435456
    assert parse_limit(0) == 0


def test_working_set() -> None:
    assert working_set(100, 30) == 70
    assert working_set(100, 130) == 0  # floored
    assert working_set(100, None) == 100
    assert working_set(None, 5) is None


def test_split_container_id() -> None:
    assert split_container_id("containerd://ABC123") == ("containerd", "abc123")
    assert split_container_id("cri-o://abc") == ("cri-o", "abc")
    assert split_container_id("docker://abc") == ("docker", "abc")
    assert split_container_id("abc") == (None, "abc")
    assert split_container_id("") == (None, "")


@pytest.mark.parametrize(
    ("name", "want"),
    [
        (f"cri-containerd-{CID}.scope", ("containerd", CID, False)),
        (f"crio-{CID}.scope", ("cri-o", CID, False)),
        (f"crio-conmon-{CID}.scope", ("cri-o", CID, True)),
        (f"docker-{CID}.scope", ("docker", CID, False)),
        (f"libpod-{CID}.scope", ("podman", CID, False)),
        (f"crio-{CID}", ("cri-o", CID, False)),
        (CID, (None, CID, False)),
        (CID.upper(), (None, CID, False)),
        ("init.scope", (None, None, False)),
        ("docker-notanid.scope", (None, None, False)),
        ("abc", (None, None, False)),
    ],
)
def test_container_from_cgroup_name(name: str, want: tuple[str | None, str | None, bool]) -> None:
    assert container_from_cgroup_name(name) == want


@pytest.mark.parametrize(
    ("name", "want"),
    [
        (f"pod{UID}", UID),
        (f"kubepods-burstable-pod{UID.replace('-', '_')}.slice", UID),
        (f"kubepods-pod{UID.replace('-', '_')}.slice", UID),
        (f"kubelet-kubepods-besteffort-pod{UID.replace('-', '_')}.slice", UID),
        ("pod6c2b3a1fd7e94a0b8e5f0a1b2c3d4e5f", "6c2b3a1fd7e94a0b8e5f0a1b2c3d4e5f"),
        ("kubepods-burstable.slice", None),
        ("podzzz", None),
        ("system.slice", None),
    ],
)
def test_pod_uid_from_cgroup_name(name: str, want: str | None) -> None:
    assert pod_uid_from_cgroup_name(name) == want


def test_qos_and_uid_normalization() -> None:
    assert qos_from_cgroup_name("kubepods-burstable.slice") == "burstable"
    assert qos_from_cgroup_name("kubelet-kubepods-besteffort.slice") == "besteffort"
    assert qos_from_cgroup_name("besteffort") == "besteffort"
    assert qos_from_cgroup_name("kubepods.slice") is None
    assert normalize_pod_uid(" AB_CD ") == "ab-cd"


def test_script_stat_matches_real_file(tmp_path: Path, bb: dict[str, object]) -> None:
    """The real v2 memory.stat, through the script: the positional line keeps its known keys exactly."""
    layout = Layout("v2", "systemd", "containerd")
    pods = make_pods(1, 1)
    exp = build_node(tmp_path / "cg", layout, pods)
    cdir = exp.memroot / exp.containers[pods[0].containers[0].id].lstrip("/")
    (cdir / "memory.stat").write_text(V2_STAT)
    (exp.memroot / "memory.stat").write_text(V2_STAT)
    snap = parse_cgroup_dump(collect_from_dir(tmp_path / "cg", **bb))
    real = {k: int(v) for k, v in (ln.split() for ln in V2_STAT.splitlines())}
    c = snap.container(pods[0].containers[0].id)
    assert c.stat == {k: v for k, v in real.items() if k in V2_KEYS.split()}
    assert snap.cgroups[0].stat == real
