"""Issue 10's check at scale: `kubectl mem top -A -o json` on a 20,000-pod simulated cluster where a
share of the running pods (default 5%) has no metrics.k8s.io figure.

Runs it twice, as an admin (the kubelet's Summary API fills the gap for the nodes concerned, 20 at
most) and as a viewer without nodes/proxy (the gap stays unknown), and prints per run: the pods
without a metrics figure, how many are shown as a definite 1st or at critical risk, where their
figures came from, the Evicted pods and how they read, the Summary API reads, and the wall time
(one run, on a shared machine: a rough figure, not a benchmark). Usage:
  python benchmarks/check_unknown_usage.py [--pods 20000] [--nodes 200] [--gap 0.05]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml
from simproc import start_sim

VIEWER_TOKEN = "viewer-token"


def with_token(kubeconfig: Path, token: str) -> Path:
    """A copy of the kubeconfig whose user has `token`."""
    cfg = yaml.safe_load(kubeconfig.read_text())
    for u in cfg["users"]:
        u["user"] = {"token": token}
    out = kubeconfig.with_name("kubeconfig-viewer")
    out.write_text(yaml.safe_dump(cfg))
    return out


def top(kubeconfig: Path) -> tuple[dict, float, str]:
    cmd = [sys.executable, "-m", "kubectl_mem", "top", "-A", "-o", "json", "--kubeconfig", str(kubeconfig)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 3):
        raise SystemExit(f"top failed ({proc.returncode}): {proc.stderr.strip()[:300]}")
    return json.loads(proc.stdout), wall, proc.stderr


def figures(doc: dict) -> dict[str, object]:
    pods = doc["items"]
    running = [p for p in pods if p["phase"] == "Running"]
    no_metrics = [p for p in running if p["workingSetSource"] != "metrics"]
    unknown = [p for p in no_metrics if p["workingSetBytes"] is None]

    def definite_first(p: dict) -> bool:
        e = p["eviction"]
        return bool(e["exact"] and e["first"] == 1 and (e["of"] or 0) > 1 and not e["noStats"])

    evicted = [p for p in pods if (p["evicted"] or p["status"] == "Evicted")]
    return {
        "pods": len(pods),
        "running": len(running),
        "running without a metrics.k8s.io figure": len(no_metrics),
        "  of which filled from the kubelet's Summary API": sum(
            p["workingSetSource"] == "summary" for p in no_metrics
        ),
        "  of which still unknown": len(unknown),
        "  unknown shown as a definite 1st": sum(definite_first(p) for p in unknown),
        "  unknown at critical risk": sum(p["risk"]["level"] == "critical" for p in unknown),
        "  unknown with a range as EVICT#": sum(".." in p["eviction"]["text"] for p in unknown),
        "  unknown whose risk could be higher (upTo)": sum(p["risk"]["upTo"] is not None for p in unknown),
        "evicted pods": len(evicted),
        "  with STATUS Evicted": sum(p["status"] == "Evicted" for p in evicted),
        "  with risk none (no live risk)": sum(p["risk"]["level"] == "none" for p in evicted),
        "status words": dict(Counter(p["status"] for p in pods).most_common(8)),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pods", type=int, default=20000)
    ap.add_argument("--nodes", type=int, default=200)
    ap.add_argument("--gap", type=float, default=0.05, help="share of running pods without metrics")
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kubectl-mem-check-") as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        extra = ("--metrics-gap", str(opts.gap), "--viewer-token", VIEWER_TOKEN)
        proc, url = start_sim(opts.pods, opts.nodes, kubeconfig, extra)
        try:
            print(
                f"simulated cluster {url}: {opts.pods} pods, {opts.nodes} nodes, {opts.gap:.0%} of running "
                "pods without metrics"
            )
            runs = (
                ("admin (Summary API allowed)", kubeconfig),
                ("viewer (no nodes/proxy)", with_token(kubeconfig, VIEWER_TOKEN)),
            )
            for who, kc in runs:
                doc, wall, err = top(kc)
                print(f"\n{who}: top -A -o json in {wall:.1f}s")
                for k, v in figures(doc).items():
                    print(f"  {k}: {v}")
                for line in err.splitlines():
                    print(f"  stderr: {line}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
