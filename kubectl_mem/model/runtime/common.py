"""Shared by the runtimes' rules: room kept outside a heap, the guess note, the YAML of a fix."""

from __future__ import annotations

from kubectl_mem.model.runtime.hints import RuntimeHint
from kubectl_mem.model.runtime.parse import MI

NON_HEAP_MIN = 128 * MI  # rule of thumb: room the JVM / V8 need outside the heap


NON_HEAP_SHARE = 0.25


def guess_note(h: RuntimeHint) -> tuple[str, ...]:
    if h.detection == "guess":
        return (
            "The runtime was guessed from the image name only; nothing in the spec confirms it. "
            "Ignore these hints if the image runs something else.",
        )
    return ()


def container_yaml(name: str, env_lines: list[str]) -> str:
    lines = ["containers:", f"- name: {name}", "  env:"]
    lines += ["  " + line for line in env_lines]
    return "\n".join(lines)


def recommended_heap_pct(limit: int) -> int:
    """Heap share of the limit leaving max(25%, 128Mi) for non-heap memory; at most 75, at least 25."""
    room = max(NON_HEAP_MIN, int(limit * NON_HEAP_SHARE))
    pct = (limit - room) * 100 // limit if limit > 0 else 25
    return int(max(25, min(75, pct)))
