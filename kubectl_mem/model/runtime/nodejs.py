"""Node.js: V8's old-space ceiling against the container limit.

`--max-old-space-size` (MiB) bounds V8's old generation. Without it Node asks V8 to size the heap
from the memory it detects at start; whether that is the cgroup limit or the host's RAM depends on
the Node/libuv release and the cgroup version, so the default is not something the pod spec controls.
"""

from __future__ import annotations

import re

import msgspec

from kubectl_mem.model.quantity import format_bytes
from kubectl_mem.model.records import ContainerSpec
from kubectl_mem.model.runtime.common import (
    NON_HEAP_MIN,
    NON_HEAP_SHARE,
    container_yaml,
    guess_note,
    recommended_heap_pct,
)
from kubectl_mem.model.runtime.hints import Fix, RuntimeHint, Setting, Trap
from kubectl_mem.model.runtime.parse import MI, env_of, mib_floor, tokens


def nodejs_hint(c: ContainerSpec, h: RuntimeHint, limit: int | None) -> RuntimeHint:
    env = env_of(c)
    settings: list[Setting] = []
    notes = list(guess_note(h))
    old_space: tuple[int, str, str] | None = None
    sources: list[tuple[str, str]] = []
    ev = env.get("NODE_OPTIONS")
    if ev is not None and ev.value is not None:
        sources += [(w, "env NODE_OPTIONS") for w in ev.value.split()]
    elif ev is not None:
        notes.append("NODE_OPTIONS comes from a ConfigMap or Secret; its flags are not visible here.")
    sources += [(w, "command/args") for w in tokens(c.command + c.args)]
    for w, src in sources:
        m = re.fullmatch(r"--max[-_]old[-_]space[-_]size=([0-9]+)", w)
        if m:
            old_space = (int(m.group(1)) * MI, w, src)
    if old_space is not None:
        settings.append(
            Setting(
                "--max-old-space-size",
                old_space[1],
                old_space[2],
                f"V8 old generation up to {format_bytes(old_space[0])}",
            )
        )
    traps: list[Trap] = []
    if limit is not None:
        fix = nodejs_fix(c, limit)
        if old_space is None:
            traps.append(
                Trap(
                    "node-heap-default",
                    "warning",
                    f"Node.js heap ceiling not set under a {format_bytes(limit)} limit",
                    "Without --max-old-space-size, Node sizes V8's heap at start from the memory it "
                    "detects: the host's RAM on older Node/libuv releases or where it cannot read the "
                    "cgroup (v2 support came later), a share of the limit on newer ones. Setting it "
                    "explicitly makes V8 collect (or fail with a JavaScript heap out-of-memory error "
                    "you can see) before the kernel kills the container.",
                    fix,
                )
            )
        elif old_space[0] >= limit:
            traps.append(
                Trap(
                    "node-heap-at-limit",
                    "critical",
                    f"--max-old-space-size ({format_bytes(old_space[0])}) is at or above the "
                    f"{format_bytes(limit)} limit",
                    f"{old_space[1]} ({old_space[2]}) lets the V8 heap grow past the container limit; "
                    "buffers, the young generation and native memory come on top, so the kernel kills "
                    "the container before V8 collects.",
                    fix,
                )
            )
        elif limit - old_space[0] < max(NON_HEAP_MIN, int(limit * NON_HEAP_SHARE)):
            traps.append(
                Trap(
                    "node-heap-leaves-little-room",
                    "warning",
                    f"--max-old-space-size ({format_bytes(old_space[0])}) leaves "
                    f"{format_bytes(limit - old_space[0])} of the {format_bytes(limit)} limit",
                    "The young generation, Buffers/ArrayBuffers and native memory live outside the old "
                    "space; the rule of thumb used here keeps max(25% of the limit, 128Mi) for them.",
                    fix,
                )
            )
    return msgspec.structs.replace(
        h,
        settings=tuple(settings),
        heap_limit=old_space[0] if old_space else None,
        heap_limit_basis=f"{old_space[1]} ({old_space[2]})" if old_space else "",
        traps=tuple(traps),
        notes=tuple(notes),
    )


def nodejs_fix(c: ContainerSpec, limit: int) -> Fix:
    pct = recommended_heap_pct(limit)
    mib = mib_floor(limit * pct // 100)
    ev = env_of(c).get("NODE_OPTIONS")
    keep = ""
    if ev is not None and ev.value:
        keep = " ".join(w for w in ev.value.split() if not re.match(r"--max[-_]old[-_]space[-_]size", w))
    value = f"{keep} --max-old-space-size={mib}".strip()
    yaml = container_yaml(
        c.name,
        ["- name: NODE_OPTIONS", f'  value: "{value}"   # MiB, {pct}% of the {format_bytes(limit)} limit'],
    )
    why = (
        f"--max-old-space-size is in MiB: {mib} is {pct}% of the {format_bytes(limit)} limit, leaving "
        f"{format_bytes(limit - mib * MI)} for the young generation, buffers and native memory. It does "
        "not follow the limit: change both together. A flag in the command or args overrides it."
    )
    return Fix(f"set NODE_OPTIONS=--max-old-space-size={mib} on container {c.name}", yaml, why)
