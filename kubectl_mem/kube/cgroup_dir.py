"""Run the collector script locally: `--from-dir DIR` (a copy of a node's /sys/fs/cgroup) and tests.

The collector pod and `--from-dir` share one script, `collector.sh`; here it runs under a local
POSIX shell (busybox sh when installed, the shell the pod image most likely has, else `sh`) with
`CGROUP_ROOT=DIR`, so both paths print, and so parse, exactly the same format. The text goes to
`kubectl_mem.model.cgroup.parse.parse_cgroup_dump`.

Meminfo: a copy of /sys/fs/cgroup has no /proc/meminfo. A support bundle can keep the node's
/proc/meminfo as `DIR/meminfo`; it is used when present, or pass `meminfo=`. Without it the node's
memory.available cannot be computed (the parser says so), rather than silently using this
machine's /proc/meminfo, which belongs to a different host.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from kubectl_mem.errors import KubectlMemError
from kubectl_mem.model.cgroup import CgroupSnapshot, parse_cgroup_dump

SCRIPT_NAME = "collector.sh"
DEFAULT_TIMEOUT = 30.0


class CgroupDirError(KubectlMemError):
    """The directory is not usable, or no shell could run the collector script."""


def collector_script() -> str:
    """The script's text, as the collector pod runs it (`sh -c <text>`)."""
    return resources.files("kubectl_mem.kube").joinpath(SCRIPT_NAME).read_text(encoding="utf-8")


def find_shell() -> list[str]:
    """`busybox sh` when busybox is installed, else `sh` from PATH."""
    busybox = shutil.which("busybox")
    if busybox:
        return [busybox, "sh"]
    sh = shutil.which("sh")
    if sh:
        return [sh]
    raise CgroupDirError("no POSIX shell found to run the cgroup collector", hint="install busybox or sh")


def run_collector(
    cgroup_root: str | os.PathLike[str],
    *,
    meminfo: str | os.PathLike[str] | None = None,
    shell: list[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    path: str | None = None,
    mountinfo: str | os.PathLike[str] | None = None,
) -> str:
    """Run collector.sh with CGROUP_ROOT=cgroup_root and MEMINFO=meminfo ("" = none); its stdout.

    The environment is built from scratch: only PATH (to find awk; `path`, default the caller's),
    LC_ALL and the script's variables, so nothing else from the caller's environment reaches the
    script. `mountinfo`: the mount table the script reads for cgroup2's mount options (default
    /proc/self/mountinfo: a copied tree is no mount, and the script says it could not tell).
    """
    cmd = [*(shell or find_shell()), "-c", collector_script(), "kubectl-mem-collector"]
    env = {
        "PATH": path or os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LC_ALL": "C",
        "CGROUP_ROOT": os.fspath(cgroup_root),
        "MEMINFO": "" if meminfo is None else os.fspath(meminfo),
    }
    if mountinfo is not None:
        env["MOUNTINFO"] = os.fspath(mountinfo)
    try:
        proc = subprocess.run(
            cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise CgroupDirError(f"the cgroup collector did not finish within {timeout:g}s") from exc
    except OSError as exc:
        raise CgroupDirError(f"cannot run the cgroup collector: {exc}") from exc
    out = proc.stdout.decode("utf-8", errors="replace")
    if proc.returncode != 0 and not out:
        err = proc.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise CgroupDirError(
            f"the cgroup collector failed (exit {proc.returncode})" + (f": {err[-1]}" if err else "")
        )
    return out


def collect_from_dir(
    directory: str | os.PathLike[str],
    *,
    meminfo: str | os.PathLike[str] | None = None,
    shell: list[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    path: str | None = None,
) -> str:
    """The collector's output for a copy of a node's /sys/fs/cgroup (`--from-dir DIR`)."""
    root = Path(directory)
    if not root.is_dir():
        raise CgroupDirError(f"{root}: not a directory", hint="--from-dir takes a copy of /sys/fs/cgroup")
    if meminfo is None and (root / "meminfo").is_file():
        meminfo = root / "meminfo"
    return run_collector(root.resolve(), meminfo=meminfo, shell=shell, timeout=timeout, path=path)


def snapshot_from_dir(
    directory: str | os.PathLike[str],
    *,
    meminfo: str | os.PathLike[str] | None = None,
    shell: list[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    path: str | None = None,
) -> CgroupSnapshot:
    """`collect_from_dir` parsed."""
    return parse_cgroup_dump(
        collect_from_dir(directory, meminfo=meminfo, shell=shell, timeout=timeout, path=path)
    )
