"""Starting and ending the node's processes; they die with the test process (PR_SET_PDEATHSIG)."""

from __future__ import annotations

import ctypes
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path

_PR_SET_PDEATHSIG = 1


class NodeTestError(RuntimeError):
    pass


class MachineBusy(NodeTestError):
    """This machine runs a kubelet of its own: a real node of the tests must not run beside it."""


def _die_with_parent() -> None:  # in the child, between fork and exec
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def spawn(
    argv: list[str], log: Path, *, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
            cwd=cwd,
            env=dict(env) if env is not None else None,
        )


def tail(path: Path, lines: int = 10) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:])[-2000:]
