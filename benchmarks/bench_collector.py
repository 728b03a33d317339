"""Benchmark collector.sh under busybox on a full synthetic node: 110 pods x 3 containers.

    /work/venv/bin/python benchmarks/bench_collector.py [--runs N] [--pods P] [--containers C]

Builds the node's cgroup tree (v2 systemd + containerd, and v1 cgroupfs + docker) in a temporary
directory, runs the script under `busybox sh` with a PATH of busybox applets only (a busybox
image), and prints the median wall time and the output size. The baseline, measured in the same
run on the same files, is one `busybox cat` of every file the script reads (one process, no
discovery, no formatting): the least any collector must pay to read them. Also the parse time.
Targets (issue 5): under 0.3 s and under 256 KiB.
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--pods", type=int, default=110)
    ap.add_argument("--containers", type=int, default=3)
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
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
