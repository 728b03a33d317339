"""A container whose runtime is not known but that was OOM-killed by its limit: the runtime checks
as conditional advice ("if this is a Go program: ..."), each with the exact YAML that fixes it.

These are the traps where a runtime's own heap ceiling does not follow the cgroup limit by default:
Go (no GOMEMLIMIT), the JVM (a heap sized without the limit in mind), Node.js (V8's old space).
"""

from __future__ import annotations

import msgspec

from kubectl_mem.model.quantity import format_bytes
from kubectl_mem.model.records import ContainerSpec
from kubectl_mem.model.runtime.go import go_fix
from kubectl_mem.model.runtime.hints import RuntimeHint, Trap
from kubectl_mem.model.runtime.jvm import jvm_fix
from kubectl_mem.model.runtime.nodejs import nodejs_fix


def conditional_hint(c: ContainerSpec, h: RuntimeHint, limit: int) -> RuntimeHint:
    """`h` (runtime unknown) with the checks that apply if the container runs Go, a JVM or Node.js."""
    lim = format_bytes(limit)
    traps = [
        Trap(
            "if-go-gomemlimit",
            "info",
            f"If this is a Go program: set GOMEMLIMIT under the {lim} limit",
            "Go's garbage collector does not read the cgroup limit: without GOMEMLIMIT the heap may grow "
            "to twice the live heap (GOGC=100) before a collection, and the kernel kills the container at "
            "the limit first.",
            go_fix(c.name, limit),
        ),
        Trap(
            "if-jvm-heap",
            "info",
            f"If this is a JVM: size its heap from the {lim} limit",
            "A JVM's heap plus metaspace, thread stacks and direct buffers must fit under the limit; a heap "
            "set with -Xmx near the limit, or sized from the host's memory (no container support), is "
            "killed by the kernel before it throws OutOfMemoryError.",
            jvm_fix(c, limit, [], None, False),
        ),
        Trap(
            "if-nodejs-heap",
            "info",
            f"If this is Node.js: bound V8's heap under the {lim} limit",
            "Without --max-old-space-size V8 sizes its heap from the memory it detects at start, which may "
            "be the host's; buffers and native memory come on top of it.",
            nodejs_fix(c, limit),
        ),
    ]
    notes = (
        "The runtime is not known from the spec (no runtime env, command or telling image name); "
        "these checks apply only if the container runs one of them.",
    )
    return msgspec.structs.replace(h, traps=tuple(t for t in traps if t.fix is not None), notes=notes)
