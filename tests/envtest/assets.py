"""Finding kube-apiserver and etcd the way controller-runtime's envtest does.

1. `KUBEBUILDER_ASSETS`: a folder holding `kube-apiserver` and `etcd` (and `kubelet`, for the node tier),
   as `setup-envtest use -p path` prints it;
2. else the archive `shared/envtest/k8s-*-linux-amd64.tar.xz` beside the repository (a clean clone has
   `../shared`; a worktree in /work/wt/NAME finds /work/shared), unpacked once into
   `$XDG_CACHE_HOME/kubectl-mem/envtest/` (default `~/.cache/...`), never into the repository or /tmp;
3. else `AssetsMissing`, whose message is one line saying how to provide them.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NEEDED = ("kube-apiserver", "etcd")
HOW = (
    "set KUBEBUILDER_ASSETS to a folder holding kube-apiserver and etcd (controller-runtime's "
    "`setup-envtest use -p path` prints one), or put k8s-<version>-linux-amd64.tar.xz in ../shared/envtest/"
)


class AssetsMissing(RuntimeError):
    """The binaries are not available here; str() is the one-line reason and how to fix it."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kubectl-mem" / "envtest"


def find_archive(start: Path = REPO) -> Path | None:
    """The newest shared/envtest/k8s-*-linux-amd64.tar.xz in `start`'s parent or any further ancestor."""
    for d in start.parents:
        found = sorted((d / "shared" / "envtest").glob("k8s-*-linux-amd64.tar.xz"))
        if found:
            return found[-1]
    return None


def find_assets(*, need: tuple[str, ...] = NEEDED) -> Path:
    """A folder holding the `need`ed binaries, unpacking the shared archive on first use."""
    env = os.environ.get("KUBEBUILDER_ASSETS")
    if env:
        folder = Path(env)
        missing = [b for b in need if not os.access(folder / b, os.X_OK)]
        if missing:
            raise AssetsMissing(f"KUBEBUILDER_ASSETS={env} has no executable {', '.join(missing)}; {HOW}")
        return folder
    archive = find_archive()
    if archive is None:
        raise AssetsMissing(f"no kube-apiserver/etcd found: {HOW}")
    folder = unpack(archive)
    missing = [b for b in need if not os.access(folder / b, os.X_OK)]
    if missing:
        raise AssetsMissing(f"{archive} has no bin/{', bin/'.join(missing)}; {HOW}")
    return folder


def unpack(archive: Path, cache: Path | None = None) -> Path:
    """Unpack `archive` into the cache once (a lock serialises concurrent test sessions); its bin/ folder.

    A marker records the archive's size and mtime, so a replaced archive is unpacked again."""
    cache = cache or cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    stem = archive.name.removesuffix(".tar.xz")
    dest = cache / stem
    st = archive.stat()
    stamp = f"{archive.name} {st.st_size} {int(st.st_mtime)}\n"
    marker = dest / ".unpacked"
    with open(cache / f"{stem}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and marker.read_text() == stamp:
            return dest / stem / "bin" if (dest / stem / "bin").is_dir() else dest / "bin"
        partial = cache / f"{stem}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(dest, ignore_errors=True)
        partial.mkdir()
        with tarfile.open(archive, "r:xz") as tar:
            tar.extractall(partial, filter="data")
        marker_tmp = partial / ".unpacked"
        marker_tmp.write_text(stamp)
        partial.rename(dest)
    return dest / stem / "bin" if (dest / stem / "bin").is_dir() else dest / "bin"
