"""model.cgroup.mapping: cgroups read by the real collector script (busybox sh) from synthetic trees,
attached to pod records by UID and containerID, in the layouts the runtimes create."""

from __future__ import annotations

from pathlib import Path

import pytest
from trees import MEMTOTAL, Layout, build_node, make_pods

from kubectl_mem.kube.cgroup_dir import collect_from_dir
from kubectl_mem.model.cgroup import CgroupOverlay, attach, attach_summary, overlay, parse_cgroup_dump
from kubectl_mem.model.records import ContainerStatus, Pod

SCHEMES = {"containerd": "containerd", "crio": "cri-o", "docker": "docker"}


def _pod(uid: str, ids: list[str], scheme: str, *, init: bool = False) -> Pod:
    statuses = [ContainerStatus(f"c{j}", container_id=f"{scheme}://{cid}") for j, cid in enumerate(ids)]
    if init:  # the first one is a sidecar (an init container with restartPolicy Always)
        statuses[0] = ContainerStatus("sidecar", kind="sidecar", container_id=f"{scheme}://{ids[0]}")
    return Pod("ns", f"pod-{uid[:4].lower()}", uid, node="n1", phase="Running", statuses=tuple(statuses))


@pytest.mark.parametrize(
    "layout",
    [
        Layout("v2", "systemd", "containerd"),
        Layout("v2", "cgroupfs", "docker"),
        Layout("v1", "cgroupfs", "crio", conmon=True),
        Layout("v2", "systemd", "crio", conmon=True),
    ],
    ids=lambda lay: f"{lay.version}-{lay.driver}-{lay.runtime}{'-conmon' if lay.conmon else ''}",
)
def test_attach_names_pods_and_containers(tmp_path: Path, bb: dict[str, object], layout: Layout) -> None:
    specs = make_pods(4, 2)
    exp = build_node(tmp_path / "cg", layout, specs)
    snap = parse_cgroup_dump(collect_from_dir(tmp_path / "cg", **bb))
    scheme = SCHEMES[layout.runtime]
    listed = specs[:3]  # the 4th pod is not listed by the API (e.g. created since)
    pods = [
        _pod(s.uid.upper() if i == 1 else s.uid, [c.id for c in s.containers], scheme, init=i == 2)
        for i, s in enumerate(listed)
    ]
    node, attached = attach("n1", snap, pods)
    by_uid = {p.uid: p for p in attached}
    assert set(by_uid) == {s.uid for s in specs}
    v1 = layout.version == "v1"
    for i, s in enumerate(specs):
        pc = by_uid[s.uid]
        assert pc.node == "n1" and pc.qos == s.qos
        assert pc.figures.path == exp.pods[s.uid]
        if i == 3:
            assert pc.namespace is None and pc.key == s.uid and pc.containers == ()
            assert {o.name for o in pc.others} >= {f"(container {c.id[:12]})" for c in s.containers}
            continue
        assert pc.key == f"ns/pod-{s.uid[:4]}"
        names = ["sidecar", "c1"] if i == 2 else ["c0", "c1"]
        assert [c.name for c in pc.containers] == names
        for c, spec in zip(pc.containers, s.containers, strict=True):
            mem = exp.mem[exp.containers[spec.id]]
            assert c.container_id == spec.id
            assert c.figures.anon == mem.anon and c.figures.limit == spec.limit
            assert c.figures.working_set == (mem.usage_v1 if v1 else mem.usage) - mem.inactive_file
            assert c.figures.oom_kills == mem.oom_kill
            assert c.figures.ooms == (None if v1 else mem.oom)
        others = {o.name for o in pc.others}
        assert "(sandbox)" in others
        if layout.conmon:
            assert any(name.startswith("crio-conmon-") for name in others)
        assert pc.container("c1") is not None and pc.container("nope") is None
    assert node.source == "cgroup" and node.mem_total == MEMTOTAL
    assert node.memory_available == MEMTOTAL - node.root_working_set
    assert node.root is not None and node.root.path == "/"


def test_summary_fallback_and_merging() -> None:
    pod = Pod("ns", "web", "UID-1", node="n2", statuses=(ContainerStatus("app"),))
    summary = {
        "node": {"memory": {"availableBytes": 300, "workingSetBytes": 700, "rssBytes": 500}},
        "pods": [
            {
                "podRef": {"name": "web", "namespace": "ns", "uid": "uid-1"},
                "memory": {"workingSetBytes": 90, "usageBytes": 120, "rssBytes": 80},
                "containers": [{"name": "app", "memory": {"workingSetBytes": 88, "pageFaults": 7}}],
            },
            {"podRef": {"name": "gone", "namespace": "ns", "uid": "uid-2"}, "memory": {}},
        ],
    }
    node, pods = attach_summary("n2", summary, [pod])
    assert node.memory_available == 300 and node.mem_total == 1000 and node.source == "summary"
    web = next(p for p in pods if p.name == "web")
    assert web.figures.working_set == 90 and web.figures.anon == 80 and web.figures.file is None
    assert web.container("app") is not None and web.container("app").page_faults == 7  # type: ignore[union-attr]
    one = overlay([(node, pods)])
    assert one.pod("UID-1") is web and one.container("uid-1", "app") is not None
    failed = CgroupOverlay(failed={"n2": "boom", "n3": "x"})
    merged = one.merged(failed)
    assert merged.pod("uid-1") is None and merged.failed == {"n2": "boom", "n3": "x"}
    assert failed.merged(one).failed == {"n3": "x"} and failed.merged(one).node("n2") is node
