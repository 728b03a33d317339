"""The real-node tier (marker `realnode`): one real kubelet node for the whole tier (tests/nodetest),
joined to its own envtest control plane, with the workloads of pods.py running on it.

The fixture waits until the workloads did what they are for (the OOM loop restarted twice after
OOM kills, the inner OOM kills counted, the page cache and the tmpfs file written), so every test
starts from the same known state; at the end it stops the node and fails the tier if anything of
it is left on the machine (processes, containers, mounts, network namespaces, cgroups, bridge,
sysctls).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from envtest import ControlPlane, cache_dir
from nodetest.image import BUSYBOX
from nodetest.node import RealNode, memory_hierarchy, why_not_here
from nodetest.proc import MachineBusy

from realnode import pods as w

SETTLE_TIMEOUT_S = 120.0


@dataclass
class Tier:
    cp: ControlPlane
    node: RealNode
    kubeconfig: Path

    @property
    def name(self) -> str:
        return self.node.name

    def pod(self, name: str) -> dict[str, Any]:
        status, _, body = self.cp.request("GET", f"/api/v1/namespaces/{w.NAMESPACE}/pods/{name}")
        assert status == 200, body[:300]
        return json.loads(body)

    def collector_pods(self) -> list[str]:
        """Collector pods left in any namespace (the managed-by label kubectl-mem puts on them)."""
        status, _, body = self.cp.request(
            "GET", "/api/v1/pods?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dkubectl-mem"
        )
        assert status == 200, body[:300]
        return [p["metadata"]["name"] for p in json.loads(body).get("items") or []]

    def mem_args(self, *args: str) -> list[str]:
        """`kubectl mem ARGS` through the real kubectl (which finds kubectl-mem on PATH and passes it
        every flag after the plugin's name)."""
        return ["kubectl", "mem", *args, "--kubeconfig", str(self.kubeconfig)]

    def mem(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.mem_args(*args), capture_output=True, text=True, timeout=timeout, env=_env()
        )


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}


def container_cgroup(pod: dict[str, Any], container: str) -> Path | None:
    """The memory cgroup folder of `container`'s current instance (cgroupfs driver), if it exists."""
    mem = memory_hierarchy()
    assert mem is not None
    uid = pod["metadata"]["uid"]
    qos = pod["status"].get("qosClass", "")
    tier = {"Burstable": "burstable/", "BestEffort": "besteffort/"}.get(qos, "")
    for cs in pod["status"].get("containerStatuses") or []:
        if cs["name"] == container and cs.get("containerID"):
            d = mem / "kubepods" / f"{tier}pod{uid}" / cs["containerID"].split("://", 1)[1]
            return d if d.is_dir() else None
    return None


def kernel_oom_kills(cgroup: Path) -> int:
    """`oom_kill` as the kernel shows it for this one cgroup (v1 memory.oom_control, v2 memory.events)."""
    f = cgroup / "memory.oom_control"
    if not f.exists():
        f = cgroup / "memory.events"
    for line in f.read_text().splitlines():
        k, _, v = line.partition(" ")
        if k == "oom_kill":
            return int(v)
    raise AssertionError(f"no oom_kill in {f}")


def memory_stat(cgroup: Path) -> dict[str, int]:
    out = {}
    for line in (cgroup / "memory.stat").read_text().splitlines():
        k, _, v = line.partition(" ")
        out[k] = int(v)
    return out


def wait_for(what: str, check: Callable[[], bool], timeout: float = SETTLE_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


def _settle(t: Tier) -> None:
    def loop_restarted() -> bool:
        cs = (t.pod(w.OOM_LOOP)["status"].get("containerStatuses") or [{}])[0]
        last = (cs.get("lastState") or {}).get("terminated") or {}
        return cs.get("restartCount", 0) >= 2 and last.get("reason") == "OOMKilled"

    def inner_killed() -> bool:
        cg = container_cgroup(t.pod(w.OOM_INNER), "parent")
        return cg is not None and kernel_oom_kills(cg) >= 3

    def written(pod: str, container: str, key: str, size: int) -> Callable[[], bool]:
        def check() -> bool:
            cg = container_cgroup(t.pod(pod), container)
            if cg is None:
                return False
            st = memory_stat(cg)
            # the kernel may already have dropped a few pages of a file it holds only as cache
            return st.get(f"total_{key}", st.get(key, 0)) >= size * 0.9

        return check

    wait_for("the OOM loop to restart twice after OOM kills", loop_restarted)
    wait_for("3 OOM kills inside oom-inner", inner_killed)
    v1 = (memory_hierarchy() or Path()).name == "memory"
    wait_for(
        "page-cache's file in the page cache",
        written(w.PAGE_CACHE, "cache", "cache" if v1 else "file", w.PAGE_CACHE_FILE),
    )
    wait_for("tmpfs-emptydir's file in shmem", written(w.TMPFS, "shm", "shmem", w.TMPFS_FILE))


@pytest.fixture(scope="session")
def real_node(tmp_path_factory: pytest.TempPathFactory, envtest_assets: Path) -> Iterator[Tier]:
    reason = why_not_here()
    if reason:
        pytest.skip(reason)
    if not os.access(envtest_assets / "kubelet", os.X_OK):
        pytest.skip(f"no kubelet in {envtest_assets}: set KUBEBUILDER_ASSETS to a folder holding one")
    work = tmp_path_factory.mktemp("realnode")
    cp = ControlPlane.start(work / "cp", assets=envtest_assets)
    node: RealNode | None = None
    try:
        try:
            node = RealNode.start(work / "node", cp, envtest_assets, cache_dir())
        except MachineBusy as e:
            pytest.skip(str(e))
        cp.create_namespace(w.NAMESPACE)
        for pod in w.workloads(node.name, BUSYBOX):
            cp.apply(f"/api/v1/namespaces/{w.NAMESPACE}/pods", pod)
        tier = Tier(cp, node, cp.kubeconfig())
        _settle(tier)
        yield tier
    finally:
        left: list[str] = []
        if node is not None:
            node.stop()
            left = node.leftovers()
        cp.stop()
    assert not left, f"the real node left these on the machine: {left}"
