"""krew's rules for plugin manifests and archives, and what `kubectl krew install` does with them.

Used by the release script (to refuse a manifest or archive krew would refuse) and by the tests.
Sources, kubernetes-sigs/krew:
- internal/index/validation/validate.go `ValidatePlugin` (the checks below, in its order: the first
  failure wins, with krew's own message),
- internal/installation/semver/version.go + k8s.io/apimachinery/pkg/util/version `ParseSemantic`,
- internal/download/downloader.go `extractTARGZ` (only regular files and directories; no `..` anywhere
  in a name, no absolute names), internal/installation/move.go (`files` from/to with globs),
- internal/installation/platform.go (the selector matched against os/arch labels).
krew decodes manifests leniently (unknown fields are ignored), so this does too.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

API_VERSION = "krew.googlecontainertools.github.com/v1alpha2"
KIND = "Plugin"
SAFE_NAME = re.compile(r"^[\w-]+$", re.ASCII)  # Go's \w is ASCII only
SHA256 = re.compile(r"^[a-f0-9]{64}$")
WINDOWS_FORBIDDEN = (
    ["CON", "PRN", "AUX", "NUL"] + [f"COM{i}" for i in range(1, 10)] + [f"LPT{i}" for i in range(1, 10)]
)
_VERSION = re.compile(r"^\s*v?([0-9]+(?:\.[0-9]+)*)(.*)$", re.DOTALL)
_IDENTS = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
_EXTRA = re.compile(rf"^(?:-({_IDENTS}))?(?:\+({_IDENTS}))?\s*$")


class ValidationError(ValueError):
    pass


def is_safe_plugin_name(name: str) -> bool:
    if not SAFE_NAME.match(name):
        return False
    return not any(name.upper() == w for w in WINDOWS_FORBIDDEN)


def parse_semver(s: str) -> tuple[int, int, int, str, str]:
    """krew's semver.Parse: a leading "v", then apimachinery's strict ParseSemantic."""
    if not s.startswith("v"):
        raise ValidationError(f"version string {s!r} not starting with 'v'")
    m = _VERSION.match(s)
    if m is None:
        raise ValidationError(f"could not parse {s!r} as version")
    numbers, extra = m.group(1), m.group(2)
    components = numbers.split(".")
    if len(components) != 3:
        raise ValidationError(f"illegal version string {s!r}")
    for comp in components:
        if comp.startswith("0") and comp != "0":
            raise ValidationError(f"illegal zero-prefixed version component {comp!r} in {s!r}")
    pre = meta = ""
    if extra:
        e = _EXTRA.match(extra)
        if e is None:
            raise ValidationError(f"could not parse pre-release/metadata ({extra}) in version {s!r}")
        pre, meta = e.group(1) or "", e.group(2) or ""
        for comp in pre.split("."):
            if comp.isdigit() and comp.startswith("0") and comp != "0":
                raise ValidationError(f"illegal zero-prefixed version component {comp!r} in {s!r}")
    major, minor, patch = (int(c) for c in components)
    return major, minor, patch, pre, meta


def _str(value: Any, field: str) -> str:
    """Go decodes into string fields: null is "", anything but a string is a decoding error."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"cannot unmarshal {type(value).__name__} into string field {field}")
    return value


def validate_plugin(name: str, plugin: Mapping[str, Any]) -> None:
    """ValidatePlugin(name, plugin): `name` is the index file's name (plugins/<name>.yaml)."""
    if not isinstance(plugin, Mapping):
        raise ValidationError("the manifest is not a mapping")
    api_version = _str(plugin.get("apiVersion"), "apiVersion")
    if api_version != API_VERSION:
        raise ValidationError(
            f"plugin manifest has apiVersion={api_version!r}, not supported in this version of krew "
            "(try updating plugin index or install a newer version of krew)"
        )
    kind = _str(plugin.get("kind"), "kind")
    if kind != KIND:
        raise ValidationError(f"plugin manifest has kind={kind!r}, but only {KIND!r} is supported")
    if not is_safe_plugin_name(name):
        raise ValidationError(f"the plugin name {name!r} is not allowed, must match {SAFE_NAME.pattern!r}")
    metadata = plugin.get("metadata") or {}
    if _str(metadata.get("name"), "metadata.name") != name:
        raise ValidationError(f"plugin should be named {name!r}, not {metadata.get('name')!r}")
    spec = plugin.get("spec") or {}
    short = _str(spec.get("shortDescription"), "spec.shortDescription")
    if short == "":
        raise ValidationError("should have a short description")
    if "\r" in short or "\n" in short:
        raise ValidationError("should not have line breaks in short description")
    platforms = spec.get("platforms") or []
    if not platforms:
        raise ValidationError("should have a platform specified")
    version = _str(spec.get("version"), "spec.version")
    if version == "":
        raise ValidationError("should have a version specified")
    try:
        parse_semver(version)
    except ValidationError as e:
        raise ValidationError(f"failed to parse plugin version: {e}") from None
    for platform in platforms:
        try:
            validate_platform(platform)
        except ValidationError as e:
            raise ValidationError(f"platform ({platform}) is badly constructed: {e}") from None


def validate_platform(p: Mapping[str, Any]) -> None:
    if _str(p.get("uri"), "uri") == "":
        raise ValidationError("`uri` has to be set")
    sha = _str(p.get("sha256"), "sha256")
    if sha == "":
        raise ValidationError("`sha256` sum has to be set")
    if not SHA256.match(sha):
        raise ValidationError(f"`sha256` value {sha} is not valid, must match pattern {SHA256.pattern}")
    if _str(p.get("bin"), "bin") == "":
        raise ValidationError("`bin` has to be set")
    if "files" in p and p["files"] is not None:
        files = p["files"]
        if len(files) == 0:
            raise ValidationError("`files` is invalid: `files` has to be unspecified or non-empty")
        for op in files:
            if _str(op.get("from"), "from") == "":
                raise ValidationError("`files` is invalid: `from` field has to be set")
            if _str(op.get("to"), "to") == "":
                raise ValidationError("`files` is invalid: `to` field has to be set")
    _validate_selector(p.get("selector"))


def _validate_selector(sel: Any) -> None:
    prefix = "invalid platform selector: "
    if sel is None:
        raise ValidationError(prefix + "nil selector is not supported")
    labels = sel.get("matchLabels")
    exprs = sel.get("matchExpressions")
    if labels is None and not exprs:
        raise ValidationError(prefix + "empty selector is not supported")
    keys = list(labels or {}) + [e.get("key") for e in exprs or []]
    for key in keys:
        if key not in ("os", "arch"):
            raise ValidationError(prefix + f"key {key!r} not supported")
    if labels is not None and len(labels) == 0:
        raise ValidationError(prefix + "`matchLabels` specified but empty")
    if exprs is not None and len(exprs) == 0:
        raise ValidationError(prefix + "`matchExpressions` specified but empty")


# --- archives and installation -----------------------------------------------------------------


def sha256_of(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_archive(path: str | os.PathLike[str]) -> list[str]:
    """The member names, if krew's tar.gz extractor would unpack this archive; else raise."""
    with open(path, "rb") as f:
        if f.read(2) != b"\x1f\x8b":
            raise ValidationError(f"{path}: not gzip data (krew detects the archive type from the content)")
    names = []
    with tarfile.open(path, "r:gz") as tar:
        for m in tar:
            if m.name == "pax_global_header":
                continue
            if ".." in m.name:
                raise ValidationError(f"refusing to unpack archive with suspicious entry {m.name!r}")
            if m.name.startswith(("/", "\\")):
                raise ValidationError(f"refusing to unpack archive with absolute entry {m.name!r}")
            if not (m.isreg() or m.isdir()):
                raise ValidationError(
                    f"unable to handle file type {m.type!r} for {m.name!r} in tar (krew unpacks only "
                    "regular files and directories: no symlinks or hard links)"
                )
            names.append(m.name)
    return names


def selector_matches(sel: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    for k, v in (sel.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions") or []:
        key, op, values = e.get("key"), e.get("operator"), e.get("values") or []
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def install(
    plugin: Mapping[str, Any],
    archive: str | os.PathLike[str],
    krew_root: str | os.PathLike[str],
    *,
    os_name: str,
    arch: str,
) -> Path:
    """What `kubectl krew install --manifest=M --archive=A` does; returns the link it puts in bin/.

    The matching platform's sha256 is checked, the archive unpacked (regular files and directories
    only), `files` moved into <root>/store/<name>/<version>, and <root>/bin/kubectl-<name> made a
    symlink to `bin` there.
    """
    name = plugin["metadata"]["name"]
    validate_plugin(name, plugin)
    spec = plugin["spec"]
    labels = {"os": os_name, "arch": arch}
    matching = [p for p in spec["platforms"] if selector_matches(p["selector"], labels)]
    if not matching:
        raise ValidationError(f"plugin {name!r} does not offer installation for this platform ({labels})")
    platform = matching[0]
    if sha256_of(archive) != platform["sha256"]:
        raise ValidationError(f"checksum does not match, want: {platform['sha256']}")
    check_archive(archive)
    root = Path(krew_root)
    install_dir = root / "store" / name / spec["version"]
    with (
        tempfile.TemporaryDirectory(prefix="krew-download-") as unpacked,
        tempfile.TemporaryDirectory(prefix="krew-temp-move-") as staging,
    ):
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(unpacked, filter="tar")
        for op in platform.get("files") or [{"from": "*", "to": "."}]:
            _move(Path(unpacked), Path(staging), op["from"], op["to"])
        install_dir.parent.mkdir(parents=True, exist_ok=True)
        if install_dir.exists():
            shutil.rmtree(install_dir)
        shutil.move(staging, install_dir)
        Path(staging).mkdir()  # TemporaryDirectory cleans up the path it made
    binary = (install_dir / platform["bin"]).resolve()
    if not binary.is_relative_to(install_dir.resolve()) or not binary.is_file():
        raise ValidationError(f"can't create symbolic link, source binary ({binary}) cannot be found")
    link = root / "bin" / ("kubectl-" + name.replace("-", "_"))
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(binary)
    return link


def _move(from_dir: Path, to_dir: Path, src: str, dst: str) -> None:
    if os.path.normpath(dst) != dst:
        raise ValidationError(f"the provided path is not clean, {dst!r} should be {os.path.normpath(dst)!r}")
    direct = (from_dir / src).resolve()
    if direct.exists():  # a single file or directory named exactly
        target = to_dir / (direct.name if dst == "." else dst)
        _within(from_dir, direct)
        _within(to_dir, target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(direct, target)
        return
    matches = glob.glob(str(from_dir / src), include_hidden=True)
    if not matches:
        raise ValidationError(f"no files in the plugin archive matched the glob pattern={src}")
    new_dir = to_dir / dst
    for match in matches:
        target = new_dir / os.path.basename(match)
        _within(from_dir, Path(match).resolve())
        _within(to_dir, target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(match, target)


def _within(base: Path, path: Path) -> None:
    if not path.resolve().is_relative_to(base.resolve()):
        raise ValidationError(f"can't move, {path} is out of bounds of {base}")
