"""The interactive view at scale, against `kubectl mem top -A -o json` measured in the same run.

Starts the simulated cluster (default 20,000 pods on 200 nodes) in its own process, then:
  baseline   `kubectl-mem top -A -o json` (wall time from exec to exit, peak RSS), median of N runs
  tui        a fresh process runs the app headless (Textual's pilot, 200x50): time from exec to the
             first screen drawn with data, then the latency of keys (sorts, filter, cursor moves,
             drill-down and back) from key press to the screen updated, then its peak RSS
and prints each figure with its ratio to the baseline. Targets: first screen <= 1.5x the JSON
mode's time, key p95 < 100 ms, memory <= 1.5x the JSON mode. Usage:
  python benchmarks/bench_tui.py [--pods 20000] [--nodes 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from simproc import start_sim


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in KiB, stdout) of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{cmd[:3]} failed ({proc.returncode}): {err.strip()[:300]}")
    # communicate() reaped the child; its rusage is in RUSAGE_CHILDREN, so measure peak RSS apart
    return wall, _peak_rss(cmd, env), out


def _peak_rss(cmd: list[str], env: dict[str, str]) -> int:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    return usage.ru_maxrss


# ---------------------------------------------------------------- the child: the app, headless

KEYS = (
    [("sort " + k, [k]) for k in ("M", "N", "L", "E", "K", "R", "R")] * 3
    + [("top g", ["g"])]  # the sorts keep the selected pod, which may be the last row: j would be a no-op
    + [("cursor j", ["j"])] * 20
    + [("cursor k", ["k"])] * 10
    + [("page down", ["pagedown"])] * 10
    + [("bottom G", ["G"]), ("top g", ["g"])] * 5
    + [("filter /", ["slash"])]
    + [("filter type", [c if c != "-" else "minus"]) for c in "team-a"]
    + [("filter clear", ["escape"])]
    + [("filter /", ["slash"])]
    + [("filter type", [c if c != "!" else "exclamation_mark"]) for c in "!web"]
    + [("filter clear", ["escape"])]
    + [("drill down", ["enter"]), ("back", ["escape"])] * 5
)


class Latency:
    """Time from a key event posted to the app to the next frame written to the terminal.

    Pilot's `press()` waits until the whole process looks idle (CPU time, 20 ms sleeps), which
    would measure the pilot, not the app, and never ends while the refresh thread works; so keys
    are posted as the driver would post them and the first `_display` after that is the answer."""

    def __init__(self, app) -> None:
        self.app = app
        self.frames = 0
        original = app._display

        def display(*a, **kw):
            self.frames += 1
            return original(*a, **kw)

        app._display = display

    async def press(self, key: str) -> float:
        from textual import events

        char = key if len(key) == 1 else None
        frames = self.frames
        t = time.perf_counter()
        self.app.post_message(events.Key(key, char))
        deadline = t + 5
        while self.frames == frames and time.perf_counter() < deadline:
            await asyncio.sleep(0.0005)
        return time.perf_counter() - t


async def child(kubeconfig: str, started: float) -> dict:
    from kubectl_mem.kube.snapshot_source import SnapshotSource
    from kubectl_mem.tui.app import make_app
    from kubectl_mem.tui.config import Settings

    app = make_app(SnapshotSource(kubeconfig=kubeconfig, all_namespaces=True), Settings(refresh=3600))
    result: dict = {}
    async with app.run_test(size=(200, 50)) as pilot:
        meter = Latency(app)
        frames = meter.frames
        while app.data.fetched is None or meter.frames == frames:
            if app.data.fetched is None:
                frames = meter.frames
            await asyncio.sleep(0.001)
        result["first_screen"] = time.time() - started
        result["load"] = app.refresh_times[0]
        result["pods"] = len(app.data.fetched.loaded.shown)
        result["rss_first_screen"] = peak_rss_kib()
        await pilot.pause(0.2)
        latencies: dict[str, list[float]] = {}
        for label, keys in KEYS:
            for key in keys:
                latencies.setdefault(label, []).append(await meter.press(key))
                await asyncio.sleep(0.02)  # a typing pace; lets the 1-line refreshes settle
        result["rss_before_refresh"] = peak_rss_kib()
        # a background refresh while keys are pressed: keys must stay quick
        app.refresher.tick()
        during = []
        while app.refresher.running:
            during.append(await meter.press("j" if len(during) % 2 == 0 else "k"))
            await asyncio.sleep(0.02)
        await app.workers.wait_for_complete()
        t = time.perf_counter()
        await pilot.pause()
        result["apply_refresh"] = time.perf_counter() - t
        result["latencies"] = latencies
        result["during_refresh"] = during
    return result


def peak_rss_kib() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pods", type=int, default=20_000)
    ap.add_argument("--nodes", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--started", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child, args.started))))
        return 0

    plugin = shutil.which("kubectl-mem") or str(Path(sys.executable).with_name("kubectl-mem"))
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        print(f"starting the simulated cluster: {args.pods} pods on {args.nodes} nodes ...", flush=True)
        sim, _ = start_sim(args.pods, args.nodes, kubeconfig)
        env = dict(os.environ, KUBECONFIG=str(kubeconfig), NO_COLOR="1")
        try:
            base = [run([plugin, "top", "-A", "-o", "json"], env) for _ in range(args.runs)]
            base_wall = statistics.median(w for w, _, _ in base)
            base_rss = statistics.median(r for _, r, _ in base)
            pods = len(json.loads(base[0][2])["items"])
            tui = []
            for _ in range(args.runs):
                started = time.time()
                proc = subprocess.Popen(
                    [sys.executable, __file__, "--child", str(kubeconfig), "--started", repr(started)],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                assert proc.stdout is not None
                out = proc.stdout.read()
                _, status, usage = os.wait4(proc.pid, 0)
                if os.waitstatus_to_exitcode(status) != 0:
                    raise SystemExit(f"the app failed: {proc.stderr.read()[-2000:] if proc.stderr else ''}")
                r = json.loads(out.strip().splitlines()[-1])
                r["rss"] = usage.ru_maxrss
                tui.append(r)
        finally:
            sim.terminate()
            sim.wait()

    first = statistics.median(r["first_screen"] for r in tui)
    rss = statistics.median(r["rss"] for r in tui)
    print(f"\n{pods} pods (JSON mode) / {tui[0]['pods']} pods (app), {args.runs} runs each, medians\n")
    print(f"  baseline  kubectl mem top -A -o json   {base_wall * 1000:8.0f} ms   {base_rss / 1024:7.0f} MiB")
    print(f"  app       first screen with data       {first * 1000:8.0f} ms   {rss / 1024:7.0f} MiB")
    print(
        f"            (of which the load: {statistics.median(r['load'] for r in tui) * 1000:.0f} ms "
        f"in the worker thread)"
    )
    for key, label in (("rss_first_screen", "at the first screen"), ("rss_before_refresh", "after the keys")):
        print(f"            peak {label}: {statistics.median(r[key] for r in tui) / 1024:.0f} MiB")
    print("            (the rest: a refresh holds the new snapshot while the old one is shown)")
    print(f"\n  first screen: {first / base_wall:.2f}x the JSON mode (target <= 1.5x)")
    print(f"  memory:       {rss / base_rss:.2f}x the JSON mode (target <= 1.5x)")
    print("\n  key -> screen updated (ms)         n     p50     p95     max")
    merged: dict[str, list[float]] = {}
    for r in tui:
        for label, values in r["latencies"].items():
            merged.setdefault(label, []).extend(values)
    everything = [v for values in merged.values() for v in values]
    for label, values in merged.items():
        print(
            f"  {label:<30} {len(values):5d} {statistics.median(values) * 1000:7.1f} "
            f"{p95(values) * 1000:7.1f} {max(values) * 1000:7.1f}"
        )
    print(
        f"  {'all keys':<30} {len(everything):5d} {statistics.median(everything) * 1000:7.1f} "
        f"{p95(everything) * 1000:7.1f} {max(everything) * 1000:7.1f}   (target p95 < 100)"
    )
    during = [v for r in tui for v in r["during_refresh"]]
    if during:
        print(
            f"  {'j while a refresh loads':<30} {len(during):5d} {statistics.median(during) * 1000:7.1f} "
            f"{p95(during) * 1000:7.1f} {max(during) * 1000:7.1f}"
        )
    applied = statistics.median(r["apply_refresh"] for r in tui)
    print(f"  applying a new {tui[0]['pods']}-pod snapshot on the event loop: {applied * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
