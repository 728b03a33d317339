"""Build the release for this machine: `python release/release.py`.

1. PyInstaller one-dir build from release/kubectl-mem.spec (into build/pyinstaller/: untracked, next to
   setuptools' build/lib),
2. dist/kubectl-mem_<os>_<arch>.tar.gz, laid out as below, plus its .sha256 (sha256sum format) and a
   .json sidecar (version, os, arch, sha256) so that a manifest can list archives built elsewhere:
       kubectl-mem/kubectl-mem            the executable (kubectl-mem.exe on Windows)
       kubectl-mem/_internal/...          the Python runtime and libraries it loads
       kubectl-mem/kubectl_complete-mem   shell-completion shim for kubectl 1.26+ (not on Windows)
       LICENSE, README.md
3. dist/krew-manifest.yaml listing every archive of this version in dist/ (one platform per archive:
   each platform is built on its own machine, .github/workflows/release.yml collects the archives and
   sidecars into one dist/ and reruns this with --manifest-only), validated with krew's rules
   (release/krew.py), then installed into a temporary krew root the way krew does and run
   (`kubectl-mem version`). Download URLs point at the GitHub release of the repository named in
   pyproject.toml's [project.urls].

Only the Python standard library, PyInstaller and PyYAML are needed. How a release is cut: docs/release.md.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import io
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
import tomllib
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import krew  # noqa: E402  (release/krew.py, next to this file)

NAME = "kubectl-mem"
PLUGIN = "mem"  # `kubectl mem`; the krew index file would be plugins/mem.yaml

SHORT_DESCRIPTION = "Pod memory vs request and limit, QoS, eviction order and OOM risk"
DESCRIPTION = """\
Shows where the memory of your pods goes and what will be killed next.

`kubectl mem top` lists pods sorted by risk: working set against the request and
the limit of each container, QoS class, the kubelet's eviction rank on the node,
oom_score_adj, OOMKilled and evicted history. On a terminal it opens an
interactive view; with -o json|yaml it prints a versioned document for scripts.
`kubectl mem nodes` shows each node's headroom to its memory eviction threshold
and its pods in the order the kubelet would evict them. `kubectl mem explain`
tells the story of one pod's memory and the YAML that fixes it.

It reads pods, nodes and PriorityClasses (get/list), metrics.k8s.io (what
`kubectl top` shows) and, for per-node detail, the kubelet Summary API through
nodes/proxy. Missing sources are reported, not fatal. Try it without a cluster:
`kubectl mem top --demo`.
"""
CAVEATS = """\
kubectl mem only reads from the cluster, with one exception: the opt-in
--cgroups mode (and `kubectl mem cgroups`) creates one short-lived collector pod
per node it inspects. That pod mounts the host's /sys/fs/cgroup read-only
(a hostPath volume), prints the memory files of the kubepods cgroups and exits;
kubectl mem then deletes it. It is labelled
app.kubernetes.io/managed-by=kubectl-mem and has activeDeadlineSeconds set.
{needs}
Without it, --cgroups falls back to the kubelet Summary API. To set it up:
{setup}
Ready-made ClusterRoles, read-only and for the collector:
  https://github.com/{repo}/tree/v{version}/deploy/rbac

Shell completion (kubectl 1.26+) needs kubectl_complete-mem on your PATH:
  cd "${{KREW_ROOT:-$HOME/.krew}}/bin"
  printf '#!/bin/sh\\nexec kubectl-mem __complete "$@"\\n' > kubectl_complete-mem
  chmod +x kubectl_complete-mem
"""


def collector_access() -> types.ModuleType:
    """kubectl_mem/kube/collector_access.py, the collector's needs said once, loaded by path (as
    `version()` reads the version: the checkout's, not an installed package's)."""
    path = ROOT / "kubectl_mem" / "kube" / "collector_access.py"
    spec = importlib.util.spec_from_file_location("kubectl_mem_collector_access", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def caveats(repo: str, ver: str) -> str:
    access = collector_access()
    raw = f"https://raw.githubusercontent.com/{repo}/v{ver}/{access.RBAC_FILE}"
    return CAVEATS.format(
        needs=textwrap.fill(f"It needs {access.needs()}.", 80),
        setup="\n".join(f"  {c}" for c in access.setup_commands(rbac_file=raw)),
        repo=repo,
        version=ver,
    )


COMPLETION_SHIM = """\
#!/bin/sh
# kubectl (1.26+) runs kubectl_complete-mem, found on PATH, with the words after `kubectl mem` to
# complete them. Link or copy this file next to kubectl-mem on your PATH.
self=$(readlink -f -- "$0" 2>/dev/null || printf '%s' "$0")
exec "$(dirname -- "$self")/kubectl-mem" __complete "$@"
"""

GOOS = {"linux": "linux", "darwin": "darwin", "win32": "windows", "cygwin": "windows"}
GOARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv7l": "arm",
    "armv6l": "arm",
    "i386": "386",
    "i686": "386",
    "x86": "386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}


def target() -> tuple[str, str]:
    """This machine as krew (Go) names it: GOOS and GOARCH."""
    os_name = GOOS.get(sys.platform) or sys.platform
    machine = platform.machine().lower()
    arch = GOARCH.get(machine)
    if arch is None:
        raise SystemExit(f"release: unknown machine architecture {machine!r}: add it to GOARCH")
    if arch == "amd64" and sys.maxsize < 2**32:
        arch = "386"  # a 32-bit Python on a 64-bit machine builds a 32-bit executable
    return os_name, arch


def repository() -> str:
    """GitHub owner/name, from pyproject.toml's [project.urls] Repository: the one place the homepage,
    the download URLs and the caveats' links come from (a fork changes it there)."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        url = tomllib.load(f)["project"]["urls"]["Repository"]
    owner_name = url.removeprefix("https://github.com/").strip("/")
    if owner_name == url or owner_name.count("/") != 1:
        raise SystemExit(
            f"release: [project.urls] Repository must be https://github.com/OWNER/NAME, not {url!r}"
        )
    return owner_name


def download_url(repo: str, ver: str, file_name: str) -> str:
    """Where the GitHub release of `ver` serves `file_name` (the workflow uploads the archives there)."""
    return f"https://github.com/{repo}/releases/download/v{ver}/{file_name}"


def version() -> str:
    ns: dict[str, str] = {}
    exec((ROOT / "kubectl_mem" / "__init__.py").read_text(encoding="utf-8"), ns)  # no package import
    return ns["__version__"]


def archive_name(os_name: str, arch: str) -> str:
    return f"{NAME}_{os_name}_{arch}.tar.gz"


def exe_name(os_name: str) -> str:
    return NAME + (".exe" if os_name == "windows" else "")


# --- build --------------------------------------------------------------------------------------


def pyinstaller(out: Path, *, clean: bool) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level=WARN",
        "--distpath",
        str(out / "dist"),
        "--workpath",
        str(out / "work"),
        str(HERE / f"{NAME}.spec"),
    ]
    if clean:
        cmd.insert(3, "--clean")
    env = dict(os.environ, PYTHONHASHSEED="0")  # stable module ordering in the archives
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)
    return out / "dist" / NAME


def _readme() -> Path:
    for candidate in (ROOT / "README.md", ROOT / "docs" / "install.md"):
        if candidate.is_file():
            return candidate
    raise SystemExit("release: no README.md (nor docs/install.md) to ship")


def make_archive(onedir: Path, dest: Path, os_name: str, *, mtime: int) -> None:
    """A tar.gz krew can unpack: regular files and directories only, sorted, owner root, fixed times."""
    if not (onedir / exe_name(os_name)).is_file():
        raise SystemExit(f"release: {onedir / exe_name(os_name)} was not built")
    entries: list[tuple[str, Path | bytes, int]] = []  # (name in archive, source, mode)
    for path in sorted(onedir.rglob("*")):
        rel = path.relative_to(onedir).as_posix()
        name = f"{NAME}/{rel}"
        if path.is_symlink():
            target_path = path.resolve()
            if not target_path.is_relative_to(onedir.resolve()):
                raise SystemExit(f"release: {path} links outside the build: {target_path}")
            # krew refuses symlinks in archives: store the file it points to (dereferenced)
        if path.is_dir():
            entries.append((name, path, 0o755))
        else:
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            entries.append((name, path, mode))
    if os_name != "windows":
        entries.append((f"{NAME}/kubectl_complete-{PLUGIN}", COMPLETION_SHIM.encode(), 0o755))
    entries.append(("LICENSE", ROOT / "LICENSE", 0o644))
    entries.append(("README.md", _readme(), 0o644))

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    # gzip header with a fixed mtime and no file name: the same inputs give the same bytes
    with (
        open(tmp, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=mtime, compresslevel=9) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, source, mode in [(f"{NAME}", b"", 0o755)] + entries:
            info = tarfile.TarInfo(name)
            info.mtime, info.mode = mtime, mode
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if name == NAME or (isinstance(source, Path) and source.is_dir()):
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif isinstance(source, bytes):
                info.size = len(source)
                tar.addfile(info, io.BytesIO(source))
            else:
                info.size = source.stat().st_size
                with open(source, "rb") as f:
                    tar.addfile(info, f)
    tmp.replace(dest)
    krew.check_archive(dest)


def write_sidecars(archive: Path, os_name: str, arch: str, ver: str) -> str:
    digest = krew.sha256_of(archive)
    Path(f"{archive}.sha256").write_text(f"{digest}  {archive.name}\n", encoding="utf-8")
    meta = {
        "name": NAME,
        "version": ver,
        "os": os_name,
        "arch": arch,
        "sha256": digest,
        "bin": exe_name(os_name),
    }
    Path(f"{archive}.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return digest


# --- the krew manifest --------------------------------------------------------------------------


def platforms(dist: Path, ver: str, repo: str) -> list[dict]:
    out = []
    for sidecar in sorted(dist.glob(f"{NAME}_*_*.tar.gz.json")):
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        if meta.get("version") != ver:
            continue  # an archive left from another version
        archive = dist / sidecar.name.removesuffix(".json")
        digest = krew.sha256_of(archive)
        if digest != meta["sha256"]:
            raise SystemExit(f"release: {archive} does not match its sidecar's sha256")
        files = [{"from": f"{NAME}/*", "to": "."}, {"from": "LICENSE", "to": "."}]
        files.append({"from": "README.md", "to": "."})
        out.append(
            {
                "selector": {"matchLabels": {"os": meta["os"], "arch": meta["arch"]}},
                "uri": download_url(repo, ver, archive.name),
                "sha256": digest,
                "bin": meta["bin"],
                "files": files,
            }
        )
    return out


def manifest(ver: str, plats: list[dict], repo: str) -> dict:
    return {
        "apiVersion": krew.API_VERSION,
        "kind": krew.KIND,
        "metadata": {"name": PLUGIN},
        "spec": {
            "version": f"v{ver}",
            "homepage": f"https://github.com/{repo}",
            "shortDescription": SHORT_DESCRIPTION,
            "description": DESCRIPTION,
            "caveats": caveats(repo, ver),
            "platforms": plats,
        },
    }


def render(doc: dict) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    header = "# Generated by release/release.py from the release archives; do not edit by hand.\n"
    return header + yaml.dump(doc, Dumper=Dumper, sort_keys=False, width=200, default_flow_style=False)


def smoke_install(doc: dict, archive: Path, os_name: str, arch: str) -> str:
    """Install the archive the way krew does into a temporary root and run `kubectl-mem version`."""
    with tempfile.TemporaryDirectory(prefix="krew-root-") as root:
        link = krew.install(doc, archive, root, os_name=os_name, arch=arch)
        env = {"PATH": f"{link.parent}{os.pathsep}/usr/bin{os.pathsep}/bin", "HOME": root}
        out = subprocess.run([str(link), "version"], check=True, capture_output=True, text=True, env=env)
        return out.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="release/release.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--dist", type=Path, default=ROOT / "dist", help="where archives go (default: dist/)")
    p.add_argument(
        "--out", type=Path, default=ROOT / "build" / "pyinstaller", help="PyInstaller's work and output"
    )
    p.add_argument("--manifest", type=Path, help="manifest to write (default: krew-manifest.yaml in --dist)")
    p.add_argument("--repo", help="GitHub owner/name (default: pyproject.toml's [project.urls] Repository)")
    p.add_argument("--clean", action="store_true", help="rebuild from scratch (PyInstaller --clean)")
    p.add_argument("--manifest-only", action="store_true", help="no build: the manifest only")
    p.add_argument("--no-manifest", action="store_true", help="build the archive only")
    args = p.parse_args(argv)

    ver = version()
    repo = args.repo or repository()
    manifest_path = args.manifest or args.dist / "krew-manifest.yaml"
    os_name, arch = target()
    archive = args.dist / archive_name(os_name, arch)
    if not args.manifest_only:
        started = time.monotonic()
        onedir = pyinstaller(args.out, clean=args.clean)
        mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0") or 0) or _commit_time()
        make_archive(onedir, archive, os_name, mtime=mtime)
        digest = write_sidecars(archive, os_name, arch, ver)
        size = archive.stat().st_size
        print(f"{archive} ({size / 1e6:.1f} MB, sha256 {digest}) in {time.monotonic() - started:.0f}s")
    if args.no_manifest:
        return 0
    plats = platforms(args.dist, ver, repo)
    if not plats:
        raise SystemExit(f"release: no archive of version {ver} in {args.dist}")
    doc = manifest(ver, plats, repo)
    krew.validate_plugin(PLUGIN, doc)
    text = render(doc)
    import yaml

    krew.validate_plugin(PLUGIN, yaml.safe_load(text))  # what krew will read back
    if archive.exists() and os_name != "windows":
        print(f"installed as krew would, it says: {smoke_install(doc, archive, os_name, arch)}")
    manifest_path.write_text(text, encoding="utf-8")
    print(
        f"{manifest_path}: {len(plats)} platform(s): "
        + ", ".join(
            f"{p['selector']['matchLabels']['os']}/{p['selector']['matchLabels']['arch']}" for p in plats
        )
    )
    return 0


def _commit_time() -> int:
    """The last commit's time: archives built from the same commit carry the same timestamps."""
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return int(out.stdout.strip())
    except (OSError, subprocess.CalledProcessError, ValueError):
        return 315532800  # 1980-01-01, the earliest time zip (and Windows tools) handle


if __name__ == "__main__":
    raise SystemExit(main())
