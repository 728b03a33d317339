"""Container images made on this machine from Debian's busybox-static: no registry is reached.

`write_archive` writes a docker-archive (the `docker save` layout: manifest.json, one config, one
layer) holding `/bin/busybox`, a symlink per applet and the usual empty folders, with one entry per
image tag so that one layer serves both:

- `BUSYBOX` (`kubectl-mem.test/busybox:1`): the workload image and the collector's `--image`;
- `PAUSE` (`kubectl-mem.test/pause:1`): containerd's `sandbox_image`, busybox `sleep` forever (PID 1
  of a PID namespace ignores SIGTERM without a handler; the runtime stops it with SIGKILL).

Tags are not `latest`, so `imagePullPolicy` defaults to IfNotPresent and the kubelet never pulls.
The archive is byte-for-byte the same for the same busybox binary (fixed mtimes, sorted entries), so
its digests are stable across runs. `ctr -n k8s.io images import` loads it.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

BUSYBOX = "kubectl-mem.test/busybox:1"
PAUSE = "kubectl-mem.test/pause:1"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_DIRS = ("bin", "dev", "etc", "proc", "sys", "tmp", "var", "host", "root")
_EPOCH = 946684800  # 2000-01-01: a fixed mtime makes the layer reproducible


class ImageError(RuntimeError):
    """No usable static busybox here; str() says what to install."""


def find_static_busybox() -> Path:
    """Debian's busybox-static binary: a dynamically linked busybox cannot run in an empty image."""
    for cand in (Path("/bin/busybox"), Path("/usr/bin/busybox"), shutil.which("busybox")):
        if cand is None:
            continue
        p = Path(cand).resolve()
        if p.is_file() and _is_static(p):
            return p
    raise ImageError("no statically linked busybox found: apt-get install busybox-static")


def _is_static(path: Path) -> bool:
    """An ELF file without a PT_INTERP program header (no dynamic loader) is static."""
    data = path.read_bytes()[:65536]
    if data[:4] != b"\x7fELF" or data[4] != 2:  # 64-bit only
        return False
    phoff = int.from_bytes(data[0x20:0x28], "little")
    phentsize = int.from_bytes(data[0x36:0x38], "little")
    phnum = int.from_bytes(data[0x38:0x3A], "little")
    for i in range(phnum):
        off = phoff + i * phentsize
        if int.from_bytes(data[off : off + 4], "little") == 3:  # PT_INTERP
            return False
    return True


def _applets(busybox: Path) -> list[str]:
    out = subprocess.run([str(busybox), "--list"], capture_output=True, text=True, check=True).stdout
    return sorted({a for a in out.split() if a and "/" not in a and a != "busybox"})


def _layer(busybox: Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:

        def entry(name: str, kind: bytes, mode: int, **kw: object) -> tarfile.TarInfo:
            ti = tarfile.TarInfo(name)
            ti.type = kind
            ti.mode = mode
            ti.mtime = _EPOCH
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = "root"
            for k, v in kw.items():
                setattr(ti, k, v)
            return ti

        for d in _DIRS:
            tar.addfile(entry(d, tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755))
        body = busybox.read_bytes()
        tar.addfile(entry("bin/busybox", tarfile.REGTYPE, 0o755, size=len(body)), io.BytesIO(body))
        for applet in _applets(busybox):
            tar.addfile(entry(f"bin/{applet}", tarfile.SYMTYPE, 0o777, linkname="busybox"))
        passwd = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
        group = b"root:x:0:\nnogroup:x:65534:\n"
        for name, text in (("etc/passwd", passwd), ("etc/group", group)):
            tar.addfile(entry(name, tarfile.REGTYPE, 0o644, size=len(text)), io.BytesIO(text))
    return buf.getvalue()


def _config(diff_id: str, cmd: list[str]) -> bytes:
    doc = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2000-01-01T00:00:00Z",
        "config": {"Env": [PATH_ENV], "Cmd": cmd, "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": "2000-01-01T00:00:00Z", "created_by": "kubectl-mem tests: busybox-static"}],
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def write_archive(dest: Path, busybox: Path | None = None) -> Path:
    """The docker-archive of `BUSYBOX` and `PAUSE` at `dest`."""
    bb = busybox or find_static_busybox()
    layer = _layer(bb)
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    layer_name = f"{diff_id[7:]}/layer.tar"
    configs = {
        BUSYBOX: _config(diff_id, ["sh"]),
        PAUSE: _config(diff_id, ["sleep", "2147483647"]),
    }
    manifest = []
    files: dict[str, bytes] = {layer_name: layer}
    for tag, cfg in configs.items():
        name = hashlib.sha256(cfg).hexdigest() + ".json"
        files[name] = cfg
        manifest.append({"Config": name, "RepoTags": [tag], "Layers": [layer_name]})
    files["manifest.json"] = json.dumps(manifest, separators=(",", ":")).encode()
    with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            ti = tarfile.TarInfo(name)
            ti.size = len(files[name])
            ti.mtime = _EPOCH
            ti.mode = 0o644
            tar.addfile(ti, io.BytesIO(files[name]))
    return dest
