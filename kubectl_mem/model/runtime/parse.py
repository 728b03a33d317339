"""Parsing helpers: the size syntaxes of Go, HotSpot and .NET, command words, image references."""

from __future__ import annotations

import re

from kubectl_mem.model.records import ContainerSpec, EnvVar

KI, MI, GI, TI = 1 << 10, 1 << 20, 1 << 30, 1 << 40


_GO_SUFFIX = {"B": 1, "KiB": KI, "MiB": MI, "GiB": GI, "TiB": TI}


def parse_go_bytes(text: str) -> int | None:
    """`parseByteCount` as GOMEMLIMIT uses it: digits with an optional B/KiB/MiB/GiB/TiB suffix.

    Returns None when Go would reject it (the program then dies at start)."""
    m = re.fullmatch(r"([0-9]+)(B|KiB|MiB|GiB|TiB)?", text)
    if not m:
        return None
    return int(m.group(1)) * _GO_SUFFIX[m.group(2) or "B"]


def parse_jvm_size(text: str) -> int | None:
    """A HotSpot size: digits with an optional k/K, m/M, g/G, t/T suffix (binary units)."""
    m = re.fullmatch(r"([0-9]+)([kKmMgGtT]?)", text)
    if not m:
        return None
    unit = {"": 1, "k": KI, "m": MI, "g": GI, "t": TI}[m.group(2).lower()]
    return int(m.group(1)) * unit


def parse_dotnet_hex(text: str) -> int | None:
    """A .NET GC setting from an environment variable: always hexadecimal, `0x` optional."""
    t = text.strip()
    if t[:2].lower() == "0x":
        t = t[2:]
    if not t or not re.fullmatch(r"[0-9a-fA-F]+", t):
        return None
    return int(t, 16)


def mib_floor(n: int) -> int:
    return max(1, n // MI)


def tokens(strings: tuple[str, ...]) -> list[str]:
    """Words of command/args, also inside `sh -c "java -Xmx1g ..."` strings."""
    out: list[str] = []
    for s in strings:
        out.extend(s.split())
    return out


def basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def image_name(image: str) -> tuple[str, str, str]:
    """(full repository path, last path component, tag) of an image reference."""
    ref = image.split("@", 1)[0]
    repo, tag = ref, ""
    last_colon = ref.rfind(":")
    if last_colon > ref.rfind("/"):
        repo, tag = ref[:last_colon], ref[last_colon + 1 :]
    return repo.lower(), repo.rsplit("/", 1)[-1].lower(), tag


def env_of(c: ContainerSpec) -> dict[str, EnvVar]:
    return {e.name: e for e in c.env}  # the last definition wins, as in the kubelet
