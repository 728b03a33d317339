"""`python -m kubectl_mem.sim serve ...`: run the simulated cluster until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from .auth import ADMIN_TOKEN, Auth, Rule
from .cgtree import Layout
from .cluster import Cluster
from .faults import Faults
from .live import Live
from .podlife import install as install_podlife
from .scenario import DEMO_LAYOUTS, DEMO_NAMESPACE, DEMO_PODS, demo_cluster, generate
from .server import SimServer


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m kubectl_mem.sim", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve a generated cluster on 127.0.0.1")
    s.add_argument("--nodes", type=int, help="number of nodes (default: the 6-node demo)")
    s.add_argument("--pods", type=int, help="number of pods (default: the 60-pod demo)")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--port", type=int, default=0, help="0 picks a free port")
    s.add_argument("--kubeconfig", type=Path, help="where to write the kubeconfig (default: a temp file)")
    s.add_argument("--token", default=ADMIN_TOKEN, help="bearer token of the admin user")
    s.add_argument("--no-auth", action="store_true", help="accept every request without a token")
    s.add_argument("--no-tls", action="store_true", help="plain http (kubectl then sends no token)")
    s.add_argument("--latency-ms", type=float, default=0.0, help="delay every response")
    s.add_argument(
        "--no-metrics", action="store_true", help="metrics.k8s.io absent, as without metrics-server"
    )
    s.add_argument("--continue-ttl", type=float, help="continue tokens expire after this many seconds")
    s.add_argument(
        "--metrics-gap",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="this fraction of the running pods has no metrics.k8s.io figure (the kubelet's Summary "
        "API still has them), e.g. 0.05",
    )
    s.add_argument(
        "--viewer-token",
        help="also accept this token for a read-only user without nodes/proxy (no Summary API)",
    )
    s.add_argument(
        "--cgroup-v1",
        default=None,
        metavar="NODE,...",
        help="these nodes' cgroup trees are cgroup v1 (cgroupfs), the others v2 (the demo: node-4)",
    )
    s.add_argument(
        "--fixed-time",
        action="store_true",
        help="date the objects at the fixed scenario instant instead of now (byte-reproducible)",
    )
    return p


# what a read-only user of kubectl mem top / nodes / explain sees, nodes/proxy left out
VIEWER = (
    "pods",
    "nodes",
    "events",
    "namespaces",
    "pods.metrics.k8s.io",
    "nodes.metrics.k8s.io",
    "priorityclasses.scheduling.k8s.io",
)


def _drop_metrics(cluster: Cluster, fraction: float, seed: int) -> None:
    """Take `fraction` of the running pods out of metrics.k8s.io (as metrics-server that has not
    scraped them yet); the kubelet's view of their usage stays."""
    running = [p["metadata"] for p in cluster.list("pods") if p["status"].get("phase") == "Running"]
    rng = random.Random(seed)
    for md in rng.sample(running, min(len(running), round(len(running) * fraction))):
        got = cluster.pod_usage(md["namespace"], md["name"])
        if got is not None:
            cluster.set_pod_usage(md["namespace"], md["name"], got[0], metrics=False)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    now = None if args.fixed_time else datetime.now(UTC)
    t0 = time.perf_counter()
    if args.nodes is None and args.pods is None:
        cluster = demo_cluster(now=now) if now else generate(seed=7, nodes=6, pods=DEMO_PODS)
    else:
        cluster = generate(seed=args.seed, nodes=args.nodes or 6, pods=args.pods or 60, now=now)
    if args.metrics_gap:
        _drop_metrics(cluster, args.metrics_gap, args.seed)
    built = time.perf_counter() - t0
    # A dedicated process: move the cluster out of the cyclic GC's reach, so no collection ever rescans
    # millions of long-lived dicts in the middle of a request.
    gc.freeze()
    auth = Auth.disabled() if args.no_auth else Auth(admin_token=args.token)
    if args.viewer_token:
        auth.add_user(args.viewer_token, "viewer", [Rule(verbs=("get", "list", "watch"), resources=VIEWER)])
    faults = Faults(
        latency_ms=args.latency_ms,
        metrics="absent" if args.no_metrics else "available",
        continue_ttl_seconds=args.continue_ttl,
    )
    server = SimServer(cluster, auth=auth, faults=faults, port=args.port, tls=not args.no_tls)
    life = install_podlife(server)  # collector pods run here as in --demo (kubectl mem cgroups, --cgroups)
    demo = args.nodes is None and args.pods is None
    if args.cgroup_v1 is not None:
        v1 = Layout("v1", "cgroupfs", "containerd")
        life.layouts.update({n: v1 for n in args.cgroup_v1.split(",") if n})
    elif demo:
        life.layouts.update(DEMO_LAYOUTS)
    if demo and not args.fixed_time:  # the demo's metrics move as in --demo; big clusters hold still
        live = Live(cluster).start()
        server.on_stop(live.stop)
    t1 = time.perf_counter()
    server.start()
    warmed = time.perf_counter() - t1
    own_dir = None if args.kubeconfig else Path(tempfile.mkdtemp(prefix="kubectl-mem-sim-"))
    kubeconfig = args.kubeconfig or own_dir / "kubeconfig"  # type: ignore[operator]
    server.write_kubeconfig(
        kubeconfig,
        token=None if args.no_auth else args.token,
        namespace=DEMO_NAMESPACE if demo else "default",
    )
    counts = cluster.counts()
    print(server.url, flush=True)
    print(f"kubeconfig: {kubeconfig}", flush=True)
    print(
        f"{counts['nodes']} nodes, {counts['pods']} pods; built in {built:.2f}s, caches warmed in "
        f"{warmed:.2f}s. Try: KUBECONFIG={kubeconfig} kubectl get pods -A",
        file=sys.stderr,
        flush=True,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop()
    if own_dir is not None:  # the kubeconfig it made goes with it
        shutil.rmtree(own_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
