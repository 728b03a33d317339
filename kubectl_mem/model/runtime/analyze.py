"""The runtime hint of one container: detect its runtime, then apply that runtime's rules."""

from __future__ import annotations

from kubectl_mem.model.records import ContainerSpec
from kubectl_mem.model.runtime.detect import detect
from kubectl_mem.model.runtime.dotnet import dotnet_hint
from kubectl_mem.model.runtime.go import go_hint
from kubectl_mem.model.runtime.hints import RuntimeHint
from kubectl_mem.model.runtime.jvm import jvm_hint
from kubectl_mem.model.runtime.nodejs import nodejs_hint
from kubectl_mem.model.runtime.python import python_hint
from kubectl_mem.model.runtime.unknown import conditional_hint


def analyze_container(
    c: ContainerSpec,
    *,
    limit: int | None,
    node_memory: int | None = None,
    memory_volumes: int = 0,
    oom_killed: bool = False,
) -> RuntimeHint:
    """The runtime hint for one container.

    `limit`: the container's memory limit in bytes (None: no limit). `node_memory`: the node's
    capacity, for a heap sized from host memory. `memory_volumes`: bytes of memory-backed emptyDir
    size limits the container mounts (memory the runtime's heap accounting does not see).
    `oom_killed`: its limit OOM-killed it; with the runtime unknown, the checks come as conditions.
    """
    runtime, detection, evidence = detect(c)
    base = RuntimeHint(container=c.name, runtime=runtime, detection=detection, evidence=tuple(evidence))
    if runtime == "go":
        return go_hint(c, base, limit, memory_volumes)
    if runtime == "jvm":
        return jvm_hint(c, base, limit, node_memory)
    if runtime == "nodejs":
        return nodejs_hint(c, base, limit)
    if runtime == "dotnet":
        return dotnet_hint(c, base, limit)
    if runtime == "python":
        return python_hint(c, base, limit)
    if oom_killed and limit is not None:
        return conditional_hint(c, base, limit)
    return base
