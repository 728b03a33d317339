"""Benchmark collector.sh under busybox on a full synthetic node: 110 pods x 3 containers.

    /work/venv/bin/python benchmarks/bench_collector.py [--runs N] [--pods P] [--containers C]

Builds the node's cgroup tree (v2 systemd + containerd, and v1 cgroupfs + docker) in a temporary
directory, runs the script under `busybox sh` with a PATH of busybox applets only (a busybox
image), and prints the median wall time and the output size. The baseline, measured in the same
run on the same files, is one `busybox cat` of every file the script reads (one process, no
discovery, no formatting): the least any collector must pay to read them. Also the parse time.
Targets (issue 5): under 0.3 s and under 256 KiB.

Then a whole node end to end through the simulated cluster (`--e2e-pods` pods on one node): the
real client creates the collector pod, polls it through Pending and Running to Succeeded, reads its
log (the script's real output for that node, made once), parses it and deletes the pod. Without
the simulated kubelet's delays (3 steps of 50 ms; a real kubelet takes seconds), what remains is
the plugin's own cost (API calls, polling, parsing, deleting), to set against the script's time
on the node measured above.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "collector"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trees import Layout, build_node, make_pods  # noqa: E402

from kubectl_mem.kube.cgroup_dir import collector_script  # noqa: E402
from kubectl_mem.model.cgroup import parse_cgroup_dump  # noqa: E402

TARGET_S = 0.3
TARGET_BYTES = 256 * 1024
V2_FILES = ("memory.stat", "memory.current", "memory.max", "memory.peak", "memory.swap.current")
V2_FILES += ("memory.high", "memory.events", "memory.pressure")
V1_FILES = ("memory.stat", "memory.usage_in_bytes", "memory.limit_in_bytes", "memory.max_usage_in_bytes")
V1_FILES += ("memory.memsw.usage_in_bytes", "memory.failcnt", "memory.oom_control")


def timed(cmd: list[str], env: dict[str, str], runs: int) -> tuple[float, bytes]:
    times = []
    out = b""
    for _ in range(runs):
        t0 = time.perf_counter()
        out = subprocess.run(cmd, env=env, capture_output=True, check=True).stdout
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def bench(layout: Layout, pods: int, containers: int, runs: int, busybox: str, bindir: Path) -> bool:
    with tempfile.TemporaryDirectory(prefix="kubectl-mem-bench-") as tmp:
        root = Path(tmp) / "cg"
        build_node(root, layout, make_pods(pods, containers))
        env = {"PATH": str(bindir), "LC_ALL": "C", "CGROUP_ROOT": str(root), "MEMINFO": str(root / "meminfo")}
        script_s, out = timed([busybox, "sh", "-c", collector_script()], env, runs)

        memroot = root if layout.version == "v2" else root / "memory"
        names = V2_FILES if layout.version == "v2" else V1_FILES
        kp = next(p for p in memroot.iterdir() if p.name.startswith("kubepods"))
        dirs = [memroot, *(d for d in kp.rglob("*") if d.is_dir())]
        files = [str(d / n) for d in dirs for n in names if (d / n).exists()]
        files.append(str(root / "meminfo"))
        listing = Path(tmp) / "files"
        listing.write_text("\n".join(files) + "\n")
        # xargs would split the list across processes: one cat reading every file is the floor
        base_cmd = [busybox, "sh", "-c", 'exec cat $(cat "$0")', str(listing)]
        base_s, base_out = timed(base_cmd, env, runs)

        t0 = time.perf_counter()
        snap = parse_cgroup_dump(out.decode())
        parse_s = time.perf_counter() - t0
        assert not snap.problems and len(snap.pods) == pods, snap.problems

        ok = script_s < TARGET_S and len(out) < TARGET_BYTES
        ms, kib = 1000, 1024
        print(f"{layout.version} {layout.driver} {layout.runtime}: {pods} pods x {containers} containers")
        print(f"  cgroups reported      {len(snap.cgroups)} ({len(files)} files exist)")
        target_ms = TARGET_S * ms
        print(
            f"  script (busybox sh)   {script_s * ms:7.1f} ms median of {runs}, target < {target_ms:.0f} ms"
        )
        print(f"  output                {len(out) / kib:7.1f} KiB, target < {TARGET_BYTES // kib} KiB")
        print(f"  baseline busybox cat  {base_s * ms:7.1f} ms, {len(base_out) / kib:.1f} KiB raw")
        print(
            f"  ratio script/cat      {script_s / base_s:7.2f} x time, {len(out) / len(base_out):.2f} x size"
        )
        print(f"  parse (python)        {parse_s * ms:7.1f} ms")
        print(f"  {'OK' if ok else 'OVER TARGET'}")
        return ok


def end_to_end(pods: int, runs: int) -> None:
    from kubectl_mem.kube.collector import Collector
    from kubectl_mem.kube.config import connect
    from kubectl_mem.kube.http import Transport
    from kubectl_mem.sim import SimServer
    from kubectl_mem.sim.podlife import install
    from kubectl_mem.sim.scenario import generate

    # the scenario wants a control-plane node besides workers: 3 nodes, then the fullest worker
    srv = SimServer(generate(seed=5, nodes=3, pods=2 * pods)).start()
    try:
        with tempfile.TemporaryDirectory(prefix="kubectl-mem-e2e-") as tmp:
            kubeconfig = Path(tmp) / "config"
            srv.write_kubeconfig(kubeconfig, token="sim-admin-token")
            life = install(srv)
            by_node: dict[str, list] = {}
            for p in srv.cluster.list("pods"):
                by_node.setdefault(p["spec"].get("nodeName") or "", []).append(p)
            node, on_node = max(by_node.items(), key=lambda kv: len(kv[1]))
            # the node's output, made once (building the tree in files is the slow part of the
            # simulation, not of a node): each run then measures the plugin and the API round trips
            t = time.perf_counter()
            output = life.collector_output(node)
            base = time.perf_counter() - t
            life.collector_output = lambda _node: output  # type: ignore[method-assign]
            walls, polls = [], []
            for poll in (0.25, 0.05):
                conn = connect(kubeconfig=str(kubeconfig))
                collector = Collector(Transport(conn), "default", poll_interval=poll)
                samples = []
                for _ in range(runs):
                    t = time.perf_counter()
                    result = collector.collect_node(node)
                    samples.append(time.perf_counter() - t)
                    assert result.error is None and result.snapshot is not None, result.error
                conn.close()
                walls.append(statistics.median(samples))
                polls.append(poll)
            left = [p for p in srv.cluster.list("pods") if p["metadata"]["name"].startswith("kubectl-mem-")]
    finally:
        srv.stop()
    kubelet = 3 * life.step_s
    print(f"end to end through the simulated cluster: {len(on_node)} pods on {node}, median of {runs}")
    print(f"  the simulated node's output ({len(output) // 1024} KiB), made once: {base * 1000:.0f} ms")
    print(f"  simulated kubelet steps              {kubelet * 1000:7.1f} ms (a real kubelet: seconds)")
    for poll, wall in zip(polls, walls, strict=True):
        print(
            f"  create, poll every {poll * 1000:3.0f} ms, log, parse, delete {wall * 1000:7.1f} ms"
            f"  (the plugin and the API, without the kubelet's steps: {(wall - kubelet) * 1000:.0f} ms)"
        )
    print(f"  collector pods left behind: {len(left)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--pods", type=int, default=110)
    ap.add_argument("--containers", type=int, default=3)
    ap.add_argument("--e2e-pods", type=int, default=110)
    args = ap.parse_args()
    busybox = shutil.which("busybox")
    if not busybox:
        print("busybox not found: apt-get install -y busybox", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="kubectl-mem-bb-") as b:
        bindir = Path(b)
        for applet in ("sh", "awk", "cat", "printf"):
            (bindir / applet).symlink_to(busybox)
        ok = True
        for layout in (Layout("v2", "systemd", "containerd"), Layout("v1", "cgroupfs", "docker")):
            ok = bench(layout, args.pods, args.containers, args.runs, busybox, bindir) and ok
    end_to_end(args.e2e_pods, max(3, args.runs // 2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
