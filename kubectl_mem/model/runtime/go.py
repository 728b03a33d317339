"""Go: GOMEMLIMIT and GOGC against the container limit.

Source: `runtime/mgcpacer.go readGOMEMLIMIT` (unset or "off" = no limit; a byte count with an
optional `B`, `KiB`, `MiB`, `GiB`, `TiB` suffix; anything else makes the runtime throw
"malformed GOMEMLIMIT" at start), `runtime/debug.SetMemoryLimit`. The Go runtime does not read
the cgroup memory limit by itself.
"""

from __future__ import annotations

import msgspec

from kubectl_mem.model.quantity import format_bytes, memory_bytes
from kubectl_mem.model.records import ContainerSpec
from kubectl_mem.model.runtime.common import container_yaml, guess_note
from kubectl_mem.model.runtime.hints import Fix, RuntimeHint, Setting, Trap
from kubectl_mem.model.runtime.parse import env_of, mib_floor, parse_go_bytes

GO_MEMLIMIT_SHARE = 0.90


def go_hint(c: ContainerSpec, h: RuntimeHint, limit: int | None, memory_volumes: int) -> RuntimeHint:
    env = env_of(c)
    settings: list[Setting] = []
    traps: list[Trap] = []
    notes: list[str] = list(guess_note(h))
    gomemlimit: int | None = None
    memlimit_from_downward = False
    ev = env.get("GOMEMLIMIT")
    if ev is not None:
        if ev.resource_field:
            memlimit_from_downward = ev.resource_field == "limits.memory"
            settings.append(
                Setting(
                    "GOMEMLIMIT",
                    f"resourceFieldRef {ev.resource_field}",
                    "env GOMEMLIMIT",
                    "from the downward API",
                )
            )
            if memlimit_from_downward and limit is not None:
                gomemlimit = -(-limit // _divisor_bytes(ev.divisor))  # the bare number Go reads as bytes
        elif ev.value is None:
            settings.append(
                Setting(
                    "GOMEMLIMIT",
                    "(from a ConfigMap or Secret)",
                    "env GOMEMLIMIT",
                    "value not visible in the pod spec",
                )
            )
        elif ev.value in ("", "off"):
            settings.append(Setting("GOMEMLIMIT", ev.value or '""', "env GOMEMLIMIT", "no memory limit"))
        else:
            gomemlimit = parse_go_bytes(ev.value)
            meaning = f"soft memory limit {format_bytes(gomemlimit)}" if gomemlimit is not None else "invalid"
            settings.append(Setting("GOMEMLIMIT", ev.value, "env GOMEMLIMIT", meaning))
            if gomemlimit is None:
                traps.append(
                    Trap(
                        "go-gomemlimit-malformed",
                        "critical",
                        f"GOMEMLIMIT={ev.value} is not a value Go accepts",
                        "Go reads GOMEMLIMIT as a byte count with an optional B, KiB, MiB, GiB or TiB "
                        'suffix; Kubernetes-style "Mi"/"Gi" or decimals are rejected and the program '
                        'exits at start with "malformed GOMEMLIMIT".',
                        go_fix(c.name, limit),
                    )
                )
    gogc = env.get("GOGC")
    gc_off = False
    if gogc is not None and gogc.value is not None:
        gc_off = gogc.value.strip().lower() == "off"
        settings.append(
            Setting(
                "GOGC",
                gogc.value,
                "env GOGC",
                "garbage collector off"
                if gc_off
                else f"collect when the heap grows {gogc.value}% over the live heap",
            )
        )
    heap_basis = ""
    if gomemlimit is not None:
        heap_basis = "GOMEMLIMIT (a soft limit: the GC works harder as it nears it, it is not a cap)"
    if limit is None:
        notes.append(
            "The container has no memory limit, so no cgroup OOM kill can come from its own limit; "
            "GOMEMLIMIT would still bound how far the heap grows before the GC works harder."
        )
        if memlimit_from_downward:
            notes.append(
                "GOMEMLIMIT comes from limits.memory, which without a limit resolves to the node's "
                "allocatable memory."
            )
    elif ev is None or (ev.value in ("", "off") and not ev.resource_field):
        g = 100
        if gogc is not None and gogc.value and gogc.value.strip().isdigit():
            g = int(gogc.value.strip())
        share = 100 / (100 + g) if g >= 0 else 1.0
        why = (
            f"Go's garbage collector does not read the cgroup limit. With GOGC={g}"
            + (" (the default)" if gogc is None else "")
            + f" it lets the heap grow {g}% above the live heap before collecting, so a live heap above "
            f"about {share:.0%} of the {format_bytes(limit)} limit ({format_bytes(int(limit * share))}) can "
            "be killed by the kernel before the GC runs."
        )
        if gc_off:
            why = (
                "GOGC=off disables the collector entirely and there is no GOMEMLIMIT to bring it back, "
                f"so the heap grows until the {format_bytes(limit)} limit kills the container."
            )
        traps.append(
            Trap(
                "go-no-gomemlimit",
                "critical" if gc_off else "warning",
                f"Go program under a {format_bytes(limit)} limit without GOMEMLIMIT",
                why,
                go_fix(c.name, limit),
            )
        )
    elif gomemlimit is not None and gomemlimit >= limit:
        downward = memlimit_from_downward
        detail = (
            f"GOMEMLIMIT is {format_bytes(gomemlimit)}, "
            + (
                "the whole limit (downward API limits.memory)"
                if downward
                else f"at or above the {format_bytes(limit)} limit"
            )
            + ". It counts only memory the Go runtime manages; cgo allocations, memory-backed volumes "
            "and kernel memory in the same cgroup are not in it, so the kernel can kill before the GC "
            "reacts."
        )
        if memory_volumes:
            detail += f" This container mounts {format_bytes(memory_volumes)} of memory-backed emptyDir."
        traps.append(
            Trap(
                "go-gomemlimit-at-limit",
                "info" if downward else "warning",
                f"GOMEMLIMIT ({format_bytes(gomemlimit)}) leaves no headroom under the "
                f"{format_bytes(limit)} limit",
                detail,
                go_fix(c.name, limit, value_from=ev.value_from),
            )
        )
    if memlimit_from_downward and ev is not None:
        divisor_trap = _divisor(c, ev.divisor, limit)
        if divisor_trap is not None:
            traps.append(divisor_trap)
    return msgspec.structs.replace(
        h,
        settings=tuple(settings),
        heap_limit=gomemlimit,
        heap_limit_basis=heap_basis,
        traps=tuple(traps),
        notes=tuple(notes),
    )


def _divisor_bytes(divisor: str | None) -> int:
    """The downward API's divisor in bytes (1 when absent; 1 when malformed, as a guess is no use)."""
    if divisor is None:
        return 1
    try:
        d = memory_bytes(divisor)
    except ValueError:
        return 1
    return d if d > 0 else 1


def _divisor(c: ContainerSpec, divisor: str | None, limit: int | None) -> Trap | None:
    """GOMEMLIMIT from `resourceFieldRef: {resource: limits.memory, divisor: D}`: the kubelet writes
    ceil(limit / D) as a bare number, which Go reads as bytes; only divisor 1 (the default) gives bytes."""
    if divisor is None:
        return None  # the default, 1: bytes, as Go reads them
    try:
        d = memory_bytes(divisor)
    except ValueError:
        d = 0
    if d == 1:
        return None
    if d <= 0:
        return Trap(
            "go-gomemlimit-divisor",
            "warning",
            f'GOMEMLIMIT\'s resourceFieldRef has divisor "{divisor}", which is not a divisor',
            "The API server accepts 1, 1k, 1Ki, 1M, 1Mi, 1G, 1Gi ... for limits.memory; GOMEMLIMIT needs "
            'bytes, so divisor "1" (or none).',
            go_fix(c.name, limit, value_from=True),
        )
    value = f" ({-(-limit // d)} for the {format_bytes(limit)} limit)" if limit else ""
    return Trap(
        "go-gomemlimit-divisor",
        "critical",
        f'GOMEMLIMIT comes from limits.memory with divisor "{divisor}": Go reads it as bytes',
        f"The kubelet writes the limit divided by {divisor} as a bare number{value}: Go takes a bare "
        "number as bytes, so its soft limit is that many bytes and the collector runs without a pause. "
        'Use divisor "1" (or none), or the literal value below.',
        go_fix(c.name, limit, value_from=True),
    )


def go_fix(name: str, limit: int | None, *, value_from: bool = False) -> Fix | None:
    """A literal GOMEMLIMIT at 90% of `limit`. `value_from`: the variable is set through valueFrom
    now, which this replaces (an env var with both value and valueFrom is rejected)."""
    if limit is None:
        return None
    target = int(limit * GO_MEMLIMIT_SHARE)
    value = f"{mib_floor(target)}MiB"
    yaml = container_yaml(
        name,
        [
            "- name: GOMEMLIMIT",
            f'  value: "{value}"   # 90% of the {format_bytes(limit)} limit; change it with the limit',
        ],
    )
    why = (
        "A soft limit at 90% of the limit makes the GC collect harder before the kernel's hard limit, "
        "leaving 10% for memory Go does not manage. The downward API "
        '(valueFrom: resourceFieldRef: {resource: limits.memory, divisor: "1"}) follows the limit '
        "automatically but can only give 100% of it (divisor only divides, and Go needs bytes), which "
        "leaves no headroom; hence the literal value. To compute 90% at start instead, import "
        "github.com/KimMachineGun/automemlimit (default ratio 0.9 of the cgroup limit)."
    )
    if value_from:
        why += (
            " Replace the valueFrom of GOMEMLIMIT with this value, do not add it: the API server "
            "rejects an env var that has both value and valueFrom."
        )
    return Fix(f"set GOMEMLIMIT={value} on container {name}", yaml, why)
