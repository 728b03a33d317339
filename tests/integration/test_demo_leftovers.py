"""`--demo` leaves nothing on the user's machine and prints no traceback: run as a user runs it (a
real process, its own TMPDIR so that whatever it leaves is seen), to the end, interrupted by
SIGINT or SIGTERM in the middle of a collection, and with a request timeout the client gives up on.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kubectl_mem.sim import ADMIN_TOKEN, SimServer, demo_cluster, generate
from kubectl_mem.sim.scenario import DEMO_NAMESPACE


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "TMPDIR")}
    env["TMPDIR"] = str(tmp)
    return env


def _plugin(*args: str) -> list[str]:
    return [sys.executable, "-m", "kubectl_mem", *args]


def _left(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir())


def _a_demo_pod() -> str:
    return next(
        p["metadata"]["name"]
        for p in demo_cluster().list("pods", DEMO_NAMESPACE)
        if p["status"]["phase"] == "Running"
    )


@pytest.mark.parametrize(
    "command",
    [
        "top",
        pytest.param("nodes-cgroups", marks=pytest.mark.slow),
        pytest.param("explain-cgroups", marks=pytest.mark.slow),
    ],
)
def test_a_demo_run_leaves_nothing_in_tmp(tmp_path: Path, command: str) -> None:
    args = {
        "top": ["top", "--demo", "-o", "json"],
        "nodes-cgroups": ["nodes", "--demo", "--cgroups", "-o", "json"],
        "explain-cgroups": ["explain", "--demo", "--cgroups", f"pod/{_a_demo_pod()}"],
    }[command]
    proc = subprocess.run(_plugin(*args), env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert _left(tmp_path) == []


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_mid_collection_leaves_nothing(tmp_path: Path, sig: int) -> None:
    """The signal arrives while a collector pod's cgroup tree is on disk (the worst moment)."""
    proc = subprocess.Popen(
        _plugin("top", "--demo", "-A", "--cgroups", "-o", "json"),
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not any(n.startswith("sim-cgroup-") for n in os.listdir(tmp_path)):
        assert proc.poll() is None, f"ended before a collection was seen: {proc.communicate()}"
        assert time.monotonic() < deadline, "no collection started"
        time.sleep(0.001)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == (130 if sig == signal.SIGINT else 143), err
    assert "Traceback" not in err and "Exception" not in err, err
    assert _left(tmp_path) == []


def test_request_timeout_is_one_error_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        _plugin("top", "--demo", "-A", "--cgroups", "--request-timeout", "1ms"),
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: timed out talking to the API server")
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert _left(tmp_path) == []


def test_a_client_that_hangs_up_is_not_a_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    """Clients that send a request and hang up while the answer is on its way (what a timed-out or
    interrupted kubectl does): the server's connection threads must not print socketserver's
    traceback (they did, with ssl.SSLEOFError, for a few of every 30)."""
    others = set(threading.enumerate())  # other tests' servers may keep connection threads
    with SimServer(generate(seed=1, nodes=3, pods=300)).start() as srv:
        ctx = ssl.create_default_context(cadata=srv.ca_pem)
        auth = f"Authorization: Bearer {ADMIN_TOKEN}"
        for _ in range(30):
            s = ctx.wrap_socket(socket.create_connection((srv.host, srv.port)), server_hostname="localhost")
            s.sendall(f"GET /api/v1/pods HTTP/1.1\r\nHost: x\r\n{auth}\r\n\r\n".encode())
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, not FIN
            s.close()
        # the connection threads write into the closed connections. The server accepts in order:
        # once a last, polite client has its answer, every connection above has its thread; then
        # wait for those to end (a fixed pause let a loaded machine pass before they wrote)
        last = socket.create_connection((srv.host, srv.port), timeout=60)
        with ctx.wrap_socket(last, server_hostname="localhost") as s:
            s.sendall(f"GET /version HTTP/1.1\r\nHost: x\r\n{auth}\r\nConnection: close\r\n\r\n".encode())
            while s.recv(65536):
                pass
        deadline = time.monotonic() + 60
        while any(t.name.endswith("(process_request_thread)") for t in set(threading.enumerate()) - others):
            assert time.monotonic() < deadline, "the server's connection threads did not end"
            time.sleep(0.01)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err, err
