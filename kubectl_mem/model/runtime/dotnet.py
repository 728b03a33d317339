""".NET: the GC heap hard limit.

Source: runtime-config docs (garbage-collector): in a container with a memory limit the GC heap
hard limit defaults to max(20MB, 75% of the limit) (.NET Core 3.0+). GC settings given as
environment variables are read as *hexadecimal*, with or without `0x`.
"""

from __future__ import annotations

import msgspec

from kubectl_mem.model.quantity import format_bytes
from kubectl_mem.model.records import ContainerSpec
from kubectl_mem.model.runtime.common import container_yaml, guess_note, recommended_heap_pct
from kubectl_mem.model.runtime.hints import Fix, RuntimeHint, Setting, Trap
from kubectl_mem.model.runtime.images import DOTNET_LIMIT_ENV, DOTNET_PCT_ENV
from kubectl_mem.model.runtime.parse import env_of, parse_dotnet_hex

DOTNET_DEFAULT_PCT = 75


def dotnet_hint(c: ContainerSpec, h: RuntimeHint, limit: int | None) -> RuntimeHint:
    env = env_of(c)
    settings: list[Setting] = []
    notes = list(guess_note(h))
    traps: list[Trap] = []
    hard: tuple[int, str, str] | None = None
    pct: tuple[int, str, str] | None = None
    for name in DOTNET_LIMIT_ENV:
        ev = env.get(name)
        if ev is not None and ev.value is not None:
            v = parse_dotnet_hex(ev.value)
            if v is not None:
                hard = (v, ev.value, name)
                settings.append(
                    Setting(
                        name,
                        ev.value,
                        f"env {name}",
                        f"GC heap hard limit {format_bytes(v)} (read as hex 0x"
                        f"{ev.value.removeprefix('0x').removeprefix('0X').upper()})",
                    )
                )
                if not ev.value.lower().startswith("0x") and ev.value.isdigit():
                    notes.append(
                        f"{name}={ev.value} is read as hexadecimal, i.e. {v} bytes "
                        f"({format_bytes(v)}), not {ev.value} bytes; write it as 0x{int(ev.value):X} if "
                        f"{ev.value} bytes was meant."
                    )
            break
    for name in DOTNET_PCT_ENV:
        ev = env.get(name)
        if ev is not None and ev.value is not None:
            v = parse_dotnet_hex(ev.value)
            if v is not None:
                pct = (v, ev.value, name)
                settings.append(Setting(name, ev.value, f"env {name}", f"{v}% of the limit (read as hex)"))
                if not ev.value.lower().startswith("0x") and ev.value.isdigit() and int(ev.value) != v:
                    notes.append(
                        f"{name}={ev.value} is read as hexadecimal: {v}%, not {ev.value}%"
                        + (f"; write 0x{int(ev.value):X} for {ev.value}%." if int(ev.value) < 100 else ".")
                    )
            break
    if env.get("DOTNET_gcServer", env.get("COMPlus_gcServer")) is not None:
        notes.append(
            "Server GC is configured: it keeps a heap per core and uses more memory than workstation GC."
        )
    heap: int | None = None
    basis = ""
    if hard is not None:
        heap, basis = hard[0], f"{hard[2]}={hard[1]} (hex)"
    elif pct is not None and limit is not None and 0 < pct[0] < 100:
        heap, basis = limit * pct[0] // 100, f"{pct[2]}={pct[1]} (hex: {pct[0]}%) of the limit"
    elif pct is not None:
        basis = f"{pct[2]}={pct[1]} is {pct[0]}% (hex), not a usable percentage: effect unknown"
    elif limit is not None:
        heap = max(20 * 1000 * 1000, limit * DOTNET_DEFAULT_PCT // 100)
        basis = (
            f"default: max(20MB, {DOTNET_DEFAULT_PCT}% of the {format_bytes(limit)} limit) (.NET Core 3.0+)"
        )
    if limit is not None:
        fix = dotnet_fix(c.name, limit)
        if pct is not None and pct[0] >= 100 and hard is None:
            traps.append(
                Trap(
                    "dotnet-heap-percent-invalid",
                    "warning",
                    f"{pct[2]}={pct[1]} means {pct[0]}% (hexadecimal)",
                    "GC settings in environment variables are hexadecimal; this value is not a "
                    "percentage below 100, so the setting does not do what it says.",
                    fix,
                )
            )
        if heap is not None and heap >= limit and (hard is not None or pct is not None):
            traps.append(
                Trap(
                    "dotnet-heap-above-limit",
                    "critical",
                    f".NET GC heap hard limit {format_bytes(heap)} is at or above the "
                    f"{format_bytes(limit)} limit",
                    f"{basis}: the GC will not hold the heap under the container limit, so the kernel kills "
                    "the process instead of it throwing OutOfMemoryException.",
                    fix,
                )
            )
    return msgspec.structs.replace(
        h,
        settings=tuple(settings),
        heap_limit=heap,
        heap_limit_basis=basis,
        traps=tuple(traps),
        notes=tuple(notes),
    )


def dotnet_fix(name: str, limit: int) -> Fix:
    pct = recommended_heap_pct(limit)
    yaml = container_yaml(
        name,
        [
            "- name: DOTNET_GCHeapHardLimitPercent",
            f'  value: "0x{pct:X}"   # hexadecimal: {pct}% of the limit',
        ],
    )
    why = (
        f"GC settings in environment variables are hexadecimal; 0x{pct:X} is {pct}%, a "
        f"{format_bytes(limit * pct // 100)} heap under the {format_bytes(limit)} limit that follows the "
        "limit. Remove DOTNET_GCHeapHardLimit (it wins over the percentage), or simply unset both: "
        ".NET Core 3.0+ defaults to 75% of the container limit."
    )
    return Fix(f"set DOTNET_GCHeapHardLimitPercent=0x{pct:X} ({pct}%) on container {name}", yaml, why)
