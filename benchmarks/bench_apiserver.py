"""What kubectl-mem costs the apiserver, against baselines measured in the same run.

For each command: wall time, the client's peak RSS, the bytes it received (counted by a relay in
front of the server, TLS included) and the server's CPU seconds (utime+stime of its process from
/proc/PID/stat: the simulated cluster's own process, or the real kube-apiserver of the test tier).
  raw        one protobuf LIST of every pod, one JSON LIST (gzip), one metrics LIST (curl)
  top        kubectl mem top -A -o json over JSON-paged, protobuf-paged and streaming lists
  kubectl    kubectl get pods -A -o json, kubectl top pods -A
  view       the interactive view held open HOLD s after its first screen (refresh every 10 s):
             list-then-watch (now) against re-listing every pod at every refresh (before)
  idle       the server doing nothing for HOLD s
Usage:
  python benchmarks/bench_apiserver.py [--target sim|real] [--pods 20000] [--nodes 200] [--runs 3] [--hold 60]
--target real starts etcd + kube-apiserver (tests/envtest), loads the simulated cluster's objects into
it through real admission, and serves their metrics through the aggregation layer
(tests/apiserver/mirror.py, metrics_server.py).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from byteproxy import ByteProxy
from simproc import start_sim

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    pid: int
    kubeconfig: Path  # through the relay
    url: str  # the relay's URL
    token: str
    ca: Path | None
    proxy: ByteProxy
    metrics: bool = True  # metrics.k8s.io is served


@dataclass
class Result:
    name: str
    walls: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)  # KiB
    received: list[int] = field(default_factory=list)  # bytes
    server_cpu: list[float] = field(default_factory=list)
    note: str = ""

    def median(self, attr: str) -> float:
        values = getattr(self, attr)
        return statistics.median(values) if values else float("nan")


def _through_relay(kubeconfig: Path, out: Path, proxy: ByteProxy) -> tuple[str, str, Path | None]:
    cfg = yaml.safe_load(kubeconfig.read_text())
    cluster = cfg["clusters"][0]["cluster"]
    url = f"https://127.0.0.1:{proxy.port}"
    cluster["server"] = url
    ca = None
    if cluster.get("certificate-authority-data"):
        ca = out.with_suffix(".ca")
        ca.write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
    elif cluster.get("certificate-authority"):
        ca = Path(cluster["certificate-authority"])
    out.write_text(yaml.safe_dump(cfg))
    return url, cfg["users"][0]["user"].get("token", ""), ca


@contextlib.contextmanager
def sim_server(pods: int, nodes: int, tmp: Path) -> Iterator[Server]:
    kc = tmp / "sim-kubeconfig"
    proc, url = start_sim(pods, nodes, kc)
    try:
        host, port = url.removeprefix("https://").split(":")
        proxy = ByteProxy((host, int(port)))
        relay_url, token, ca = _through_relay(kc, tmp / "sim-relay-kubeconfig", proxy)
        yield Server("simulated cluster", proc.pid, tmp / "sim-relay-kubeconfig", relay_url, token, ca, proxy)
        proxy.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextlib.contextmanager
def real_server(pods: int, nodes: int, tmp: Path) -> Iterator[Server]:
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT / "tests" / "apiserver"))
    from envtest import ControlPlane  # the test tier's etcd + kube-apiserver
    from realload import Client, load

    from kubectl_mem.sim import generate

    try:  # metrics.k8s.io behind the real aggregation layer, as metrics-server serves it
        from metrics_server import MetricsServer
    except ImportError:
        MetricsServer = None  # noqa: N806

    cluster = generate(seed=1, nodes=nodes, pods=pods)
    with ControlPlane.start(tmp / "cp") as cp:
        t0 = time.perf_counter()
        admin = yaml.safe_load(cp.kubeconfig().read_text())["users"][0]["user"]["token"]
        rejected = load(Client(cp.url, admin, str(cp.ca_file)), cluster)
        print(f"  loaded into kube-apiserver in {time.perf_counter() - t0:.0f} s; {len(rejected)} rejected")
        for line in rejected[:5]:
            print(f"    {line}")
        metrics = None
        if MetricsServer is not None:
            metrics = MetricsServer(cp, cluster).start()
            metrics.register()
        else:
            print("  no tests/apiserver/metrics_server.py: metrics.k8s.io is not served")
        try:
            host, port = cp.url.removeprefix("https://").split(":")
            proxy = ByteProxy((host, int(port)))
            kc = cp.kubeconfig()
            relay_url, token, ca = _through_relay(kc, tmp / "real-relay-kubeconfig", proxy)
            yield Server(
                "kube-apiserver",
                cp.pid,
                tmp / "real-relay-kubeconfig",
                relay_url,
                token,
                ca,
                proxy,
                metrics=metrics is not None,
            )
            proxy.close()
        finally:
            if metrics is not None:
                metrics.stop()


def measure(server: Server, cmd: list[str], env: dict[str, str], result: Result) -> None:
    """One run of `cmd`, through launch.py (see there why)."""
    out = Path(tempfile.mkstemp(prefix="bench-run-", suffix=".json")[1])
    try:
        server.proxy.reset()
        cpu0 = cpu_seconds(server.pid)
        proc = subprocess.run(
            [sys.executable, str(HERE / "launch.py"), str(out), *cmd], env=env, stderr=subprocess.PIPE
        )
        time.sleep(0.3)  # let the server finish what the client's close left it (a watch noticing its end)
        run = json.loads(out.read_text()) if proc.returncode == 0 else {"code": -1}
    finally:
        out.unlink(missing_ok=True)
    if run["code"] not in (0, 3):
        err = proc.stderr.decode(errors="replace")
        raise SystemExit(f"{' '.join(cmd[:4])} failed ({run['code']}): {err.strip()[:400]}")
    result.walls.append(run["wall"])
    result.rss.append(run["rss_kib"])
    result.received.append(server.proxy.reset())
    result.server_cpu.append(cpu_seconds(server.pid) - cpu0)


def curl(server: Server, path: str, accept: str, *, gzip: bool) -> list[str]:
    cmd = [
        "curl",
        "-sf",
        "-o",
        "/dev/null",
        "-H",
        f"Authorization: Bearer {server.token}",
        "-H",
        f"Accept: {accept}",
    ]
    if gzip:
        cmd.append("--compressed")
    if server.ca:
        cmd += ["--cacert", str(server.ca)]
    return [*cmd, server.url + path]


def hold_view(server: Server, env: dict[str, str], mode: str, hold: float, result: Result) -> float:
    """Start the view in a child; from its first screen on, count the server's CPU and the bytes for
    `hold` seconds. Returns the time to the first screen."""
    server.proxy.reset()
    started = time.time()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", str(server.kubeconfig), "--mode", mode, "--hold", str(hold)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    if not first.startswith("first"):
        proc.kill()
        raise SystemExit(f"the view failed: {first} {proc.stderr.read()[-2000:] if proc.stderr else ''}")
    first_screen = time.time() - started
    server.proxy.reset()
    cpu0 = cpu_seconds(server.pid)
    done = json.loads(proc.stdout.readline())
    cpu1 = cpu_seconds(server.pid)
    received = server.proxy.reset()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the view failed: {proc.stderr.read()[-2000:] if proc.stderr else ''}")
    result.walls.append(first_screen)
    result.rss.append(done["rss_kib"])  # its own: a forked child is charged with our pages until exec
    result.received.append(received)
    result.server_cpu.append(cpu1 - cpu0)
    result.note = f"{done['refreshes']} refreshes in {hold:.0f} s"
    return first_screen


async def child(kubeconfig: str, mode: str, hold: float) -> None:
    from kubectl_mem.kube.snapshot_source import SnapshotSource
    from kubectl_mem.tui.app import make_app
    from kubectl_mem.tui.config import Settings
    from kubectl_mem.tui.data_sources import ClusterSource, Fetched

    class Relisting(ClusterSource):
        """The view before issue 12: every refresh lists every pod and node again (JSON pages)."""

        def load(self) -> Fetched:
            loaded = self.source.load()
            conn = self.source.connection()
            return Fetched(loaded, conn.context, None)

    if mode == "relist":
        source = Relisting(
            SnapshotSource(kubeconfig=kubeconfig, all_namespaces=True, protocol="json", streaming=False)
        )
    else:
        source = ClusterSource(SnapshotSource(kubeconfig=kubeconfig, all_namespaces=True))
    app = make_app(source, Settings(refresh=10.0))
    async with app.run_test(size=(200, 50)):
        while app.data.fetched is None:
            await asyncio.sleep(0.005)
        print("first", flush=True)
        refreshes = len(app.refresh_times)
        await asyncio.sleep(hold)
        # VmHWM, not getrusage: a child's ru_maxrss keeps the forking parent's pages across exec
        status = Path("/proc/self/status").read_text()
        peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
        print(json.dumps({"refreshes": len(app.refresh_times) - refreshes, "rss_kib": peak}), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", choices=("sim", "real"), default="sim")
    ap.add_argument("--pods", type=int, default=20_000)
    ap.add_argument("--nodes", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--hold", type=float, default=60.0)
    ap.add_argument("--skip-kubectl-get", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--mode", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        asyncio.run(child(args.child, args.mode, args.hold))
        return 0
    plugin = shutil.which("kubectl-mem")
    if plugin is None:
        raise SystemExit("kubectl-mem is not on PATH: install the project (pip install -e .) first")
    print(
        f"{args.target}: {args.pods} pods on {args.nodes} nodes, {args.runs} runs each (medians)", flush=True
    )
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        starter = sim_server if args.target == "sim" else real_server
        with starter(args.pods, args.nodes, tmp) as server:
            results = run_all(server, args, plugin)
    report(results, args)
    return 0


def run_all(server: Server, args: argparse.Namespace, plugin: str) -> dict[str, Result]:
    base = dict(os.environ, KUBECONFIG=str(server.kubeconfig), NO_COLOR="1")
    env = {
        "paged": dict(base, KUBE_FEATURE_WatchListClient="false"),
        "streaming": dict(base, KUBE_FEATURE_WatchListClient="true"),
    }
    pb = "application/vnd.kubernetes.protobuf"
    commands = [
        ("raw: one protobuf LIST of all pods", curl(server, "/api/v1/pods", pb, gzip=False), base),
        (
            "raw: one JSON LIST of all pods (gzip)",
            curl(server, "/api/v1/pods", "application/json", gzip=True),
            base,
        ),
        (
            "raw: one metrics LIST of all pods",
            curl(server, "/apis/metrics.k8s.io/v1beta1/pods", "application/json", gzip=True),
            base,
        ),
        (
            "top -A -o json, JSON-paged",
            [plugin, "top", "-A", "-o", "json", "--protocol", "json"],
            env["paged"],
        ),
        ("top -A -o json, protobuf-paged (default)", [plugin, "top", "-A", "-o", "json"], env["paged"]),
        (
            "top -A -o json, streaming (JSON)",
            [plugin, "top", "-A", "-o", "json", "--protocol", "json"],
            env["streaming"],
        ),
        (
            "top -A -o json, streaming (protobuf)",
            [plugin, "top", "-A", "-o", "json", "--protocol", "protobuf"],
            env["streaming"],
        ),
        ("kubectl top pods -A", ["kubectl", "top", "pods", "-A"], base),
    ]
    if not server.metrics:
        commands = [c for c in commands if "metrics" not in c[0] and "kubectl top" not in c[0]]
    if not args.skip_kubectl_get:
        commands.append(("kubectl get pods -A -o json", ["kubectl", "get", "pods", "-A", "-o", "json"], base))
    results: dict[str, Result] = {}
    for name, cmd, e in commands:
        slow = name.startswith("kubectl get")  # minutes at 20k pods: one run, no warm-up
        if not slow:
            measure(server, cmd, e, Result(name))  # warm-up: caches of the server and of the OS
        r = results[name] = Result(name)
        for _ in range(1 if slow else args.runs):
            measure(server, cmd, e, r)
        print(f"  {name}: {r.median('walls'):.2f} s, server {r.median('server_cpu'):.2f} s CPU", flush=True)
    idle = results["idle server"] = Result("idle server")
    idle.note = f"{args.hold:.0f} s, before and after the views (mean)"

    def idle_for(seconds: float) -> None:
        server.proxy.reset()
        cpu0 = cpu_seconds(server.pid)
        time.sleep(seconds)
        idle.server_cpu.append(cpu_seconds(server.pid) - cpu0)
        idle.received.append(server.proxy.reset())

    idle_for(args.hold)
    for name, mode in (("view open, re-listing (before)", "relist"), ("view open, list then watch", "watch")):
        r = results[name] = Result(name)
        hold_view(server, base, mode, args.hold, r)
        cpu = f"server {r.server_cpu[0]:.2f} s CPU in {args.hold:.0f} s"
        print(f"  {name}: first screen {r.walls[0]:.2f} s, {cpu}", flush=True)
    idle_for(args.hold)
    print(f"  idle server: {idle.server_cpu[0]:.2f} s then {idle.server_cpu[1]:.2f} s CPU", flush=True)
    return results


def report(results: dict[str, Result], args: argparse.Namespace) -> None:
    print(f"\n{'what':40} {'wall s':>8} {'peak RSS MiB':>13} {'received MB':>12} {'server CPU s':>13}  note")
    for r in results.values():
        wall = f"{r.median('walls'):8.2f}" if r.walls else f"{'-':>8}"
        rss = f"{r.median('rss') / 1024:13.0f}" if r.rss else f"{'-':>13}"
        received = r.median("received") / 1e6
        print(f"{r.name:40} {wall} {rss} {received:12.1f} {r.median('server_cpu'):13.2f}  {r.note}")
    pb_list = results["raw: one protobuf LIST of all pods"]
    no_metrics = Result("no metrics", walls=[0.0], server_cpu=[0.0])
    metrics = results.get("raw: one metrics LIST of all pods", no_metrics)
    top = results["top -A -o json, streaming (protobuf)"]
    paged = results["top -A -o json, protobuf-paged (default)"]
    before = results["top -A -o json, JSON-paged"]
    raw_wall = pb_list.median("walls") + metrics.median("walls")
    raw_cpu = pb_list.median("server_cpu") + metrics.median("server_cpu")
    print("\ngoals (ratios in this run; the machine is shared and noisy)")
    for label, r in (
        ("protobuf-paged (default)", paged),
        ("streaming", top),
        ("JSON-paged (before)", before),
    ):
        wall = r.median("walls") / raw_wall
        cpu = r.median("server_cpu") / raw_cpu
        print(
            f"  top -A -o json {label:24}: wall {wall:.2f}x the raw protobuf transfer (target <= 2), "
            f"server CPU {cpu:.2f}x one protobuf LIST + one metrics LIST (target <= 1.2), "
            f"peak RSS {r.median('rss') / 1024:.0f} MiB (target <= 150)"
        )
    relist, watch = results["view open, re-listing (before)"], results["view open, list then watch"]
    now, before = watch.median("server_cpu"), relist.median("server_cpu")
    idle = statistics.mean(results["idle server"].server_cpu)  # the same length of time, in this run
    first = watch.median("walls") / relist.median("walls")
    print(
        f"  view open {args.hold:.0f} s: server CPU {now:.2f} s against {before:.2f} s re-listing = "
        f"{now / before:.2f}x (target <= 0.1); net of the idle server's {idle:.2f} s: "
        f"{now - idle:.2f} s against {before - idle:.2f} s = {(now - idle) / (before - idle):.2f}x; "
        f"first screen {first:.2f}x before (target <= 1)"
    )


if __name__ == "__main__":
    sys.exit(main())
