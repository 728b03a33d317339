"""Start-up: the release binary against the pip install and against kubectl itself, in the same run.

    python benchmarks/bench_startup.py [--runs 30] [--archive dist/kubectl-mem_linux_amd64.tar.gz]

Unpacks the release archive (built with `python release/release.py` unless --archive names one) into a
temporary directory, then times, through the real kubectl with PATH=<that dir>:/usr/bin:/bin:
  kubectl version --client                 the baseline: kubectl's own start-up
  kubectl mem version                      binary, and the pip install (this environment's kubectl-mem)
  kubectl mem top --demo -o json           binary, and the pip install
Commands are interleaved round-robin so that load from other processes falls on all of them alike.
Prints the median wall time and the median CPU time (user + system) of each, and the ratios. Target:
binary `kubectl mem version` within 1.5x of `kubectl version --client`.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_PATH = f"/usr/bin{os.pathsep}/bin"


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def find_archive(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    sys.path.insert(0, str(ROOT / "release"))
    import release  # release/release.py

    os_name, arch = release.target()
    archive = ROOT / "dist" / release.archive_name(os_name, arch)
    if not archive.exists():
        print(f"{archive} missing: building it (python release/release.py --no-manifest)", file=sys.stderr)
        subprocess.run([sys.executable, str(ROOT / "release" / "release.py"), "--no-manifest"], check=True)
    return archive


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--archive", help="the release archive (default: this machine's, in dist/)")
    args = p.parse_args()

    archive = find_archive(args.archive)
    pip_bin = Path(sys.executable).parent
    if not (pip_bin / "kubectl-mem").exists():
        raise SystemExit(f"no kubectl-mem in {pip_bin}: run `pip install -e .` in this environment")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="tar")
        binary_dir = Path(tmp) / "kubectl-mem"
        pip_dir = Path(tmp) / "pip"
        pip_dir.mkdir()
        (pip_dir / "kubectl-mem").symlink_to(pip_bin / "kubectl-mem")
        home = {"HOME": tmp, "LANG": "C.UTF-8"}
        env_binary = {**home, "PATH": f"{binary_dir}{os.pathsep}{SYSTEM_PATH}"}
        env_pip = {**home, "PATH": f"{pip_dir}{os.pathsep}{SYSTEM_PATH}"}
        top = ["kubectl", "mem", "top", "--demo", "-o", "json"]
        cases = [
            ("kubectl version --client", ["kubectl", "version", "--client"], env_binary),
            ("binary: kubectl mem version", ["kubectl", "mem", "version"], env_binary),
            ("pip:    kubectl mem version", ["kubectl", "mem", "version"], env_pip),
            ("binary: kubectl mem top --demo -o json", top, env_binary),
            ("pip:    kubectl mem top --demo -o json", top, env_pip),
            (
                "binary: kubectl-mem version (direct)",
                [str(binary_dir / "kubectl-mem"), "version"],
                env_binary,
            ),
        ]
        for _, cmd, env in cases:  # warm the page cache once, untimed
            timed(cmd, env)
        walls: dict[str, list[float]] = {name: [] for name, _, _ in cases}
        cpus: dict[str, list[float]] = {name: [] for name, _, _ in cases}
        for _ in range(args.runs):
            for name, cmd, env in cases:
                wall, cpu = timed(cmd, env)
                walls[name].append(wall)
                cpus[name].append(cpu)

    size = archive.stat().st_size
    print(
        f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; "
        f"{args.runs} runs each, interleaved; archive {archive.name} {size / 1e6:.1f} MB"
    )
    wall = {k: statistics.median(v) * 1000 for k, v in walls.items()}
    cpu = {k: statistics.median(v) * 1000 for k, v in cpus.items()}
    print(f"{'':42} {'wall ms':>8} {'cpu ms':>8}")
    for name in walls:
        print(f"{name:42} {wall[name]:8.1f} {cpu[name]:8.1f}")
    base = "kubectl version --client"
    ratios = [
        ("binary `kubectl mem version` / `kubectl version --client`", "binary: kubectl mem version", base),
        ("pip `kubectl mem version` / binary", "pip:    kubectl mem version", "binary: kubectl mem version"),
        (
            "pip `top --demo -o json` / binary",
            "pip:    kubectl mem top --demo -o json",
            "binary: kubectl mem top --demo -o json",
        ),
    ]
    print()
    for label, a, b in ratios:
        print(f"{label:60} wall {wall[a] / wall[b]:5.2f}x   cpu {cpu[a] / cpu[b]:5.2f}x")
    target = wall["binary: kubectl mem version"] / wall[base]
    print(
        f"\ntarget: binary `kubectl mem version` within 1.5x of `kubectl version --client`: "
        f"{'met' if target <= 1.5 else 'NOT met'} ({target:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
