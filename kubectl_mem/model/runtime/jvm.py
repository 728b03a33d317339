"""JVM: the heap HotSpot sizes for itself, and the flags that change it.

Source: OpenJDK `arguments.cpp Arguments::set_heap_size`: without -Xmx the heap is
`RAM x MaxRAMPercentage` (default 25), except that when `RAM x MinRAMPercentage` (default 50) is
below the default MaxHeapSize (`ScaleForWordSize(96M)` = 124.8Mi on 64-bit) the heap is
`RAM x MinRAMPercentage`, and otherwise it is at least 124.8Mi. RAM is the container limit when
container support is on (JDK 10+, 8u191+), the host's memory when it is off, and `-XX:MaxRAM`
when that is given. `-XX:MaxRAMFraction=N` (deprecated) means MaxRAMPercentage = 100/N.
Option order: JAVA_TOOL_OPTIONS, then JDK_JAVA_OPTIONS and the command line, then _JAVA_OPTIONS;
the last occurrence of a flag wins.
"""

from __future__ import annotations

import contextlib
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
from kubectl_mem.model.runtime.parse import env_of, image_name, mib_floor, parse_jvm_size, tokens

JVM_DEFAULT_MAX_HEAP = 130862280  # ScaleForWordSize(96*M) on 64-bit: 124.8Mi


JVM_DEFAULT_MAX_RAM_PCT = 25.0


JVM_DEFAULT_MIN_RAM_PCT = 50.0


def _jvm_options(c: ContainerSpec) -> tuple[list[tuple[str, str]], list[str]]:
    """(flag, source) in the order the JVM applies them, and notes about what is not visible."""
    env = env_of(c)
    ordered: list[tuple[str, str]] = []
    notes: list[str] = []

    def from_env(name: str) -> None:
        ev = env.get(name)
        if ev is None:
            return
        if ev.value is None:
            notes.append(f"{name} comes from a ConfigMap or Secret; its flags are not visible here.")
            return
        ordered.extend((w, f"env {name}") for w in ev.value.split())

    from_env("JAVA_TOOL_OPTIONS")
    from_env("JDK_JAVA_OPTIONS")
    if "JAVA_OPTS" in env:
        from_env("JAVA_OPTS")
        notes.append(
            "JAVA_OPTS is read by start scripts (catalina.sh, many images' entrypoints), not by the JVM "
            "itself; its flags count only if the entrypoint passes them on."
        )
    ordered.extend((w, "command/args") for w in tokens(c.command + c.args))
    from_env("_JAVA_OPTIONS")
    return ordered, notes


def _jvm_old_image(image: str) -> str | None:
    """A reason to think the JVM predates container support (8u191), from the image tag; a guess."""
    _repo, last, tag = image_name(image)
    if last == "java":
        return f'image "{image}": the deprecated "java" image ships JDK 8 builds before 8u191'
    m = re.match(r"(?:1\.)?8u(\d+)", tag)
    if m and int(m.group(1)) < 191:
        return f'image tag "{tag}": JDK 8u{m.group(1)} predates container support (8u191)'
    m = re.match(r"(\d+)", tag)
    if last in ("openjdk", "adoptopenjdk") and m and int(m.group(1)) == 9:
        return f'image tag "{tag}": JDK 9 has no container support (JDK 10+)'
    return None


def jvm_default_heap(
    ram: int, max_pct: float = JVM_DEFAULT_MAX_RAM_PCT, min_pct: float = JVM_DEFAULT_MIN_RAM_PCT
) -> int:
    """HotSpot's ergonomic max heap for `ram` bytes (`Arguments::set_heap_size`, no -Xmx)."""
    reasonable_min = int(ram * min_pct / 100)
    if reasonable_min < JVM_DEFAULT_MAX_HEAP:
        return reasonable_min
    return max(int(ram * max_pct / 100), JVM_DEFAULT_MAX_HEAP)


def jvm_hint(c: ContainerSpec, h: RuntimeHint, limit: int | None, node_memory: int | None) -> RuntimeHint:
    flags, notes = _jvm_options(c)
    notes = list(guess_note(h)) + notes
    settings: list[Setting] = []
    xmx: tuple[int, str, str] | None = None  # bytes, text, source
    xms: tuple[int, str, str] | None = None
    max_pct: tuple[float, str, str] | None = None
    min_pct: tuple[float, str, str] | None = None
    max_ram: tuple[int, str, str] | None = None
    container_support = True
    cs_source = ""
    for flag, source in flags:
        if flag.startswith("-Xmx") or flag.startswith("-XX:MaxHeapSize="):
            v = parse_jvm_size(flag[4:] if flag.startswith("-Xmx") else flag.split("=", 1)[1])
            if v is not None:
                xmx = (v, flag, source)
        elif flag.startswith("-Xms") or flag.startswith("-XX:InitialHeapSize="):
            v = parse_jvm_size(flag[4:] if flag.startswith("-Xms") else flag.split("=", 1)[1])
            if v is not None:
                xms = (v, flag, source)
        elif flag.startswith("-XX:MaxRAMPercentage="):
            with contextlib.suppress(ValueError):
                max_pct = (float(flag.split("=", 1)[1]), flag, source)
        elif flag.startswith("-XX:MaxRAMFraction="):
            try:
                n = int(flag.split("=", 1)[1])
                if n > 0 and (max_pct is None or "Fraction" in max_pct[1]):
                    max_pct = (100.0 / n, flag, source)
            except ValueError:
                pass
        elif flag.startswith("-XX:MinRAMPercentage="):
            with contextlib.suppress(ValueError):
                min_pct = (float(flag.split("=", 1)[1]), flag, source)
        elif flag.startswith("-XX:MaxRAM="):
            v = parse_jvm_size(flag.split("=", 1)[1])
            if v is not None:
                max_ram = (v, flag, source)
        elif flag in ("-XX:-UseContainerSupport", "-XX:+UseContainerSupport"):
            container_support = flag == "-XX:+UseContainerSupport"
            cs_source = source
    for item, name, meaning in ((xmx, "-Xmx", "max heap"), (xms, "-Xms", "initial heap")):
        if item is not None:
            settings.append(Setting(name, item[1], item[2], f"{meaning} {format_bytes(item[0])}"))
    if max_pct is not None:
        settings.append(
            Setting(
                "MaxRAMPercentage",
                max_pct[1],
                max_pct[2],
                f"heap = {max_pct[0]:g}% of the memory the JVM sees",
            )
        )
    if min_pct is not None:
        settings.append(
            Setting(
                "MinRAMPercentage",
                min_pct[1],
                min_pct[2],
                f"heap = {min_pct[0]:g}% of small memory (under ~250Mi)",
            )
        )
    if max_ram is not None:
        settings.append(
            Setting(
                "MaxRAM",
                max_ram[1],
                max_ram[2],
                f"the JVM sizes itself as if it had {format_bytes(max_ram[0])}",
            )
        )
    if not container_support:
        settings.append(
            Setting(
                "UseContainerSupport",
                "-XX:-UseContainerSupport",
                cs_source,
                "the JVM ignores the container limit",
            )
        )
    old_image = _jvm_old_image(c.image)

    traps: list[Trap] = []
    heap: int | None = None
    basis = ""
    host_sized_reason = ""
    if xmx is not None:
        heap, basis = xmx[0], f"{xmx[1]} ({xmx[2]})"
    else:
        mp = max_pct[0] if max_pct else JVM_DEFAULT_MAX_RAM_PCT
        np_ = min_pct[0] if min_pct else JVM_DEFAULT_MIN_RAM_PCT
        pct_text = f"MaxRAMPercentage={mp:g}" + ("" if max_pct else " (JVM default)")
        if max_ram is not None:
            heap = jvm_default_heap(max_ram[0], mp, np_)
            basis = f"{pct_text} of MaxRAM {format_bytes(max_ram[0])}"
            if limit is not None and max_ram[0] > limit:
                host_sized_reason = (
                    f"{max_ram[1]} ({max_ram[2]}) makes the JVM size itself for "
                    f"{format_bytes(max_ram[0])}, more than the {format_bytes(limit)} limit"
                )
        elif not container_support or old_image:
            host_sized_reason = (
                f"-XX:-UseContainerSupport ({cs_source}) makes the JVM size its heap from the host's memory"
                if not container_support
                else f"{old_image} (a guess from the image tag), so the heap is sized from the host's memory"
            )
            if node_memory:
                heap = jvm_default_heap(node_memory, mp, np_)
                basis = f"{pct_text} of the node's {format_bytes(node_memory)} (host memory)"
        elif limit is not None:
            heap = jvm_default_heap(limit, mp, np_)
            basis = f"{pct_text} of the {format_bytes(limit)} limit"
            if limit * np_ / 100 < JVM_DEFAULT_MAX_HEAP:
                basis += f"; under ~250Mi the JVM uses MinRAMPercentage={np_:g} instead"
            elif limit * mp / 100 < JVM_DEFAULT_MAX_HEAP:
                basis += "; raised to the 124.8Mi minimum default heap"
    if limit is not None:
        fix = jvm_fix(c, limit, flags, xmx, host_sized_reason != "" and xmx is None)
        if host_sized_reason:
            sized = f" (about {format_bytes(heap)})" if heap is not None else ""
            traps.append(
                Trap(
                    "jvm-heap-from-host-memory",
                    "critical" if heap is None or heap >= limit else "warning",
                    f"JVM heap sized from more memory than the {format_bytes(limit)} limit",
                    f"{host_sized_reason}{sized}; the heap can grow past the container limit and the "
                    "kernel kills the JVM instead of it throwing OutOfMemoryError.",
                    fix,
                )
            )
        elif heap is not None and heap >= limit:
            traps.append(
                Trap(
                    "jvm-heap-at-limit",
                    "critical",
                    f"JVM max heap {format_bytes(heap)} is at or above the {format_bytes(limit)} limit",
                    f"The heap alone ({basis}) can fill the container, and the JVM needs memory beyond "
                    "it (metaspace, code cache, thread stacks, GC data, direct buffers); the kernel kills "
                    "the container before the JVM sees an OutOfMemoryError.",
                    fix,
                )
            )
        elif heap is not None:
            room = limit - heap
            need = max(NON_HEAP_MIN, int(limit * NON_HEAP_SHARE))
            if room < need:
                traps.append(
                    Trap(
                        "jvm-heap-leaves-little-room",
                        "warning",
                        f"JVM max heap {format_bytes(heap)} leaves {format_bytes(room)} of the "
                        f"{format_bytes(limit)} limit for everything else",
                        f"Heap: {basis}. Metaspace, code cache, thread stacks (about 1Mi each), GC data "
                        "and direct buffers live outside the heap; the rule of thumb used here keeps at "
                        f"least max(25% of the limit, 128Mi) = {format_bytes(need)} for them.",
                        fix,
                    )
                )
        if xms is not None and xms[0] >= limit:
            traps.append(
                Trap(
                    "jvm-initial-heap-at-limit",
                    "critical",
                    f"JVM initial heap {format_bytes(xms[0])} is at or above the {format_bytes(limit)} limit",
                    f"{xms[1]} ({xms[2]}) commits that much heap as it is used; "
                    "the container cannot hold it.",
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


_HEAP_FLAG = re.compile(
    r"-Xm[xs]\S*|-XX:(MaxHeapSize|InitialHeapSize|MaxRAMPercentage|MaxRAMFraction|"
    r"MinRAMPercentage|MaxRAM|[-+]UseContainerSupport)\b\S*"
)


def jvm_fix(
    c: ContainerSpec,
    limit: int,
    flags: list[tuple[str, str]],
    xmx: tuple[int, str, str] | None,
    old_jvm: bool,
) -> Fix:
    pct = recommended_heap_pct(limit)
    heap = limit * pct // 100
    env = env_of(c)
    existing = env.get("JAVA_TOOL_OPTIONS")
    keep = ""
    if existing is not None and existing.value:
        keep = " ".join(w for w in existing.value.split() if not _HEAP_FLAG.fullmatch(w))
    elsewhere = sorted(
        {src for f, src in flags if _HEAP_FLAG.fullmatch(f) and src != "env JAVA_TOOL_OPTIONS"}
    )
    if old_jvm:
        opts = f"-Xmx{mib_floor(heap)}m"
        summary = f"set an explicit heap of {mib_floor(heap)}Mi ({pct}% of the limit), or move to JDK 11+"
        why = (
            f"A JVM that does not see the container limit needs an explicit -Xmx: {pct}% of the "
            f"{format_bytes(limit)} limit leaves {format_bytes(limit - heap)} for non-heap memory. "
            "JDK 8u191+ and 10+ read the limit themselves; there -XX:MaxRAMPercentage follows the limit."
        )
    else:
        opts = f"-XX:MaxRAMPercentage={pct}.0"
        if limit * JVM_DEFAULT_MIN_RAM_PCT / 100 < JVM_DEFAULT_MAX_HEAP:
            opts += f" -XX:MinRAMPercentage={pct}.0"  # small limits use MinRAMPercentage
        summary = f"size the heap as {pct}% of the limit with JAVA_TOOL_OPTIONS"
        why = (
            f"MaxRAMPercentage={pct} gives a {format_bytes(heap)} heap under the {format_bytes(limit)} "
            f"limit and follows the limit when it changes; {format_bytes(limit - heap)} stays for "
            "metaspace, code cache, thread stacks and direct buffers."
        )
        if "MinRAMPercentage" in opts:
            why += " Below ~250Mi the JVM uses MinRAMPercentage instead, so both are set."
    value = f"{keep} {opts}".strip()
    yaml = container_yaml(c.name, ["- name: JAVA_TOOL_OPTIONS", f'  value: "{value}"'])
    if elsewhere:
        where = ", ".join(elsewhere)
        why += f" Remove the heap flags from {where}: an explicit -Xmx overrides the percentage"
        why += ", and _JAVA_OPTIONS overrides everything." if "env _JAVA_OPTIONS" in elsewhere else "."
    return Fix(summary, yaml, why)
