"""Which runtime a container runs, from env, command and args (evidence) or the image name (a guess).

The image name is read two ways (data in `images`): a known image (prometheus, eclipse-temurin,
calico/node ...), else the words of the reference split on / - _ . : (ghcr.io/acme/api-go:1.4 says
"go", eclipse-temurin:21-jre says "jre"). Either is a guess and says so.
"""

from __future__ import annotations

import re

from kubectl_mem.model.records import ContainerSpec
from kubectl_mem.model.runtime.hints import Detection, RuntimeName
from kubectl_mem.model.runtime.images import (
    DOTNET_IMAGES,
    EXECUTABLES,
    IMAGE_TOKENS,
    JVM_ENV,
    KNOWN_IMAGES,
    OFFICIAL_NODE_IMAGES,
)
from kubectl_mem.model.runtime.parse import basename, env_of, image_name, tokens


def detect(c: ContainerSpec) -> tuple[RuntimeName, Detection, list[str]]:
    env = env_of(c)
    scores: dict[RuntimeName, list[str]] = {}

    def add(rt: RuntimeName, why: str) -> None:
        scores.setdefault(rt, []).append(why)

    for name in env:
        if name in ("GOMEMLIMIT", "GOGC", "GODEBUG", "GOMAXPROCS"):
            add("go", f"env {name}")
        elif name in JVM_ENV:
            add("jvm", f"env {name}")
        elif name == "NODE_OPTIONS":
            add("nodejs", "env NODE_OPTIONS")
        elif name.startswith(("DOTNET_", "COMPlus_", "ASPNETCORE_")):
            add("dotnet", f"env {name}")
        elif name.startswith("PYTHON"):
            add("python", f"env {name}")
    words = tokens(c.command + c.args)
    for w in words:
        rt = EXECUTABLES.get(basename(w))
        if rt is None and re.fullmatch(r"python3(\.\d+)?", basename(w)):
            rt = "python"
        if rt is not None:
            add(rt, f'command "{basename(w)}"')
        elif w.startswith(("-Xmx", "-Xms", "-XX:")) or w == "-jar":
            add("jvm", f"flag {w.split('=')[0]}")
        elif w.startswith(("--max-old-space-size", "--max_old_space_size")):
            add("nodejs", "flag --max-old-space-size")
    if scores:
        # strongest evidence: the most distinct signals (ties in a fixed order)
        order: list[RuntimeName] = ["go", "jvm", "nodejs", "dotnet", "python"]
        best = max(order, key=lambda rt: (len(scores.get(rt, [])), -order.index(rt)))
        return best, "evidence", list(dict.fromkeys(scores[best]))
    guess = image_guess(c.image)
    if guess is not None:
        return guess[0], "guess", [guess[1]]
    return "unknown", "none", []


_WORDS = re.compile(r"[/\-_.:]+")
RUNTIME_WORDS = {"go": "Go", "jvm": "JVM", "nodejs": "Node.js", "python": "Python", "dotnet": ".NET"}


def image_guess(image: str) -> tuple[RuntimeName, str] | None:
    """(runtime, why) from the image reference alone, or None when it says nothing (or too much)."""
    repo, last, _tag = image_name(image)
    parts = repo.split("/")
    for key in ("/".join(parts[-2:]), last):
        rt = KNOWN_IMAGES.get(key)
        if rt is not None:
            return rt, f'image "{image}": a {RUNTIME_WORDS[rt]} image'
    if "/dotnet/" in f"/{repo}/" and last in DOTNET_IMAGES:
        return "dotnet", f'image "{image}": a .NET image'
    if repo in OFFICIAL_NODE_IMAGES:
        return "nodejs", f'image "{image}": the official Node.js image'
    words = [w for w in _WORDS.split(image.split("@", 1)[0].lower()) if w in IMAGE_TOKENS]
    found = {IMAGE_TOKENS[w] for w in words}
    if len(found) == 1:
        rt = found.pop()
        return rt, f'the word "{words[0]}" in image "{image}"'
    return None
