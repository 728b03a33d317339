"""The real thing: `kubectl-mem top` in a real terminal (tmux), against the simulated cluster.

Keys go in through tmux, the pane is read back as a user would see it, and `q` must leave a clean
exit status and the shell prompt back."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from needs import need

pytestmark = pytest.mark.slow

# a tmux server of our own (-L): a user's or another test run's tmux is never touched, and the
# session's shell gets this process's environment (TMPDIR included), not an older server's
SOCKET = f"kubectl-mem-test-{os.getpid()}"


def tmux(*args: str, check: bool = True) -> str:
    return subprocess.run(
        [need("tmux"), "-L", SOCKET, *args], check=check, capture_output=True, text=True
    ).stdout


def pane(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def wait_for(session: str, pattern: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = pane(session)
        if re.search(pattern, text):
            return text
        time.sleep(0.1)
    raise AssertionError(f"{pattern!r} did not appear; the pane shows:\n{text}")


def plugin() -> str:
    found = shutil.which("kubectl-mem") or str(Path(sys.executable).with_name("kubectl-mem"))
    assert os.path.exists(found), "kubectl-mem is not installed (pip install -e .)"
    return found


def test_top_in_tmux(tmp_path: Path) -> None:
    session = f"kubectl-mem-test-{os.getpid()}"
    status = tmp_path / "status"
    command = f"TERM=xterm-256color {plugin()} top --demo -A --refresh 2; echo EXIT=$? > {status}; sleep 60"
    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", command)
    try:
        text = wait_for(session, r"ctx demo.*\n(.*\n)*.*pods\(all\)\[[1-9]\d*\]", timeout=60)
        assert "ctx " in text and "RISK↓" in text and "Help" in text
        first = text.splitlines()[4]

        tmux("send-keys", "-t", session, "N")  # sort by name
        text = wait_for(session, r"sort NAME↑")
        assert text.splitlines()[4] != first or "NAME↑" in text

        tmux("send-keys", "-t", session, "/", "kube-system", "Enter")
        text = wait_for(session, r"filter /kube-system")
        rows = [line for line in text.splitlines()[4:] if line.strip() and "kube-system" in line]
        assert rows, text

        tmux("send-keys", "-t", session, "Enter")  # drill down
        text = wait_for(session, r"pod kube-system/")
        assert "samples since start" in text or "memory (working set" in text

        tmux("send-keys", "-t", session, "Escape")
        wait_for(session, r"pods\(all\)")
        tmux("send-keys", "-t", session, ":", "nodes", "Enter")
        text = wait_for(session, r"nodes\(cluster\)\[\d+\]")
        assert "HEADROOM" in text

        tmux("send-keys", "-t", session, "?")
        wait_for(session, r"Keys: nodes")
        tmux("send-keys", "-t", session, "Escape")
        wait_for(session, r"nodes\(cluster\)")

        tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 60
        while not status.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert status.read_text().strip() == "EXIT=0"
        # the terminal is given back: no alternate screen left, no stray escape codes
        assert "pods(" not in pane(session)
    finally:
        tmux("kill-server", check=False)
