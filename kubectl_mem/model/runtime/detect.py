"""Which runtime a container runs, from env, command and args (evidence) or the image name (a guess)."""

from __future__ import annotations

import re

from kubectl_mem.model.records import ContainerSpec
from kubectl_mem.model.runtime.hints import Detection, RuntimeName
from kubectl_mem.model.runtime.images import (
    DOTNET_IMAGES,
    EXECUTABLES,
    GO_IMAGES,
    JVM_ENV,
    JVM_IMAGES,
    NODE_IMAGES,
    PYTHON_IMAGES,
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
    repo, last, _tag = image_name(c.image)
    guess: RuntimeName | None = None
    if last in GO_IMAGES:
        guess = "go"
    elif last in JVM_IMAGES:
        guess = "jvm"
    elif last in NODE_IMAGES:
        guess = "nodejs"
    elif last in PYTHON_IMAGES:
        guess = "python"
    elif "/dotnet/" in f"/{repo}/" and last in DOTNET_IMAGES or last == "dotnet":
        guess = "dotnet"
    if guess is not None:
        return guess, "guess", [f'image "{c.image}" (a guess from the image name)']
    return "unknown", "none", []
