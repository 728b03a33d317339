"""What the names say: a cgroup's directory name -> pod UID, container ID and runtime, QoS tier;
the API's `metadata.uid` and `containerID` in the one form the cgroups are matched by.

PURE. The forms are the kubelet's (cgroupfs and systemd drivers) and the runtimes' (containerd,
CRI-O and its conmon scopes, Docker, Podman).
"""

from __future__ import annotations

from typing import Literal

QosTier = Literal["guaranteed", "burstable", "besteffort"]

_RUNTIME_PREFIXES = (
    ("cri-containerd-", "containerd"),
    ("crio-conmon-", "cri-o"),
    ("crio-", "cri-o"),
    ("docker-", "docker"),
    ("libpod-", "podman"),
)
_STATUS_SCHEMES = {"containerd": "containerd", "cri-o": "cri-o", "docker": "docker", "podman": "podman"}
_HEX = frozenset("0123456789abcdef")


def normalize_pod_uid(uid: str) -> str:
    """`metadata.uid` or the systemd-escaped form (underscores) -> lower case with dashes."""
    return uid.strip().lower().replace("_", "-")


def split_container_id(container_id: str) -> tuple[str | None, str]:
    """`containerd://abc` -> ("containerd", "abc"); a bare id -> (None, id)."""
    cid = container_id.strip()
    scheme, sep, rest = cid.partition("://")
    if not sep:
        return None, cid.lower()
    return _STATUS_SCHEMES.get(scheme.lower(), scheme.lower()), rest.lower()


def _is_hex_id(s: str) -> bool:
    return len(s) >= 12 and all(ch in _HEX for ch in s)


def container_from_cgroup_name(name: str) -> tuple[str | None, str | None, bool]:
    """A container cgroup's name -> (runtime, bare id, is CRI-O conmon).

    `cri-containerd-<id>.scope`, `crio-<id>.scope`, `crio-conmon-<id>.scope`, `docker-<id>.scope`,
    `libpod-<id>.scope` (systemd driver); `<id>` and `crio-<id>` (cgroupfs). (None, None, False)
    when the name is none of these.
    """
    base = name[: -len(".scope")] if name.endswith(".scope") else name
    for prefix, runtime in _RUNTIME_PREFIXES:
        if base.startswith(prefix):
            ident = base[len(prefix) :].lower()
            if _is_hex_id(ident):
                return runtime, ident, prefix == "crio-conmon-"
            return None, None, False
    if _is_hex_id(base.lower()):
        return None, base.lower(), False
    return None, None, False


def pod_uid_from_cgroup_name(name: str) -> str | None:
    """`pod<uid>` (cgroupfs) or `kubepods-<tier>-pod<uid_>.slice` (systemd) -> dashed uid."""
    if name.endswith(".slice") and "-pod" in name:
        raw = name[: -len(".slice")].rsplit("-pod", 1)[1]
    elif name.startswith("pod"):
        raw = name[3:]
    else:
        return None
    uid = normalize_pod_uid(raw)
    if uid and all(ch in _HEX or ch == "-" for ch in uid):
        return uid
    return None


def qos_from_cgroup_name(name: str) -> QosTier | None:
    base = name[: -len(".slice")] if name.endswith(".slice") else name
    if base == "burstable" or base.endswith("-burstable"):
        return "burstable"
    if base == "besteffort" or base.endswith("-besteffort"):
        return "besteffort"
    return None
