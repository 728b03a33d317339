"""Which language runtime a container runs, how its heap is bounded, and the classic traps.

Pure rules over a container's spec (image, command, args, env): no I/O. Detection from env, command
and args is *evidence* (the settings are right there); detection from the image name alone is a
*guess* and is labelled so everywhere it is shown.

Sources for the numbers used here:
- Go: `runtime/mgcpacer.go readGOMEMLIMIT` (unset or "off" = no limit; a byte count with an
  optional `B`, `KiB`, `MiB`, `GiB`, `TiB` suffix; anything else makes the runtime throw
  "malformed GOMEMLIMIT" at start), `runtime/debug.SetMemoryLimit`. The Go runtime does not read
  the cgroup memory limit by itself.
- JVM: OpenJDK `arguments.cpp Arguments::set_heap_size`: without -Xmx the heap is
  `RAM x MaxRAMPercentage` (default 25), except that when `RAM x MinRAMPercentage` (default 50) is
  below the default MaxHeapSize (`ScaleForWordSize(96M)` = 124.8Mi on 64-bit) the heap is
  `RAM x MinRAMPercentage`, and otherwise it is at least 124.8Mi. RAM is the container limit when
  container support is on (JDK 10+, 8u191+), the host's memory when it is off, and `-XX:MaxRAM`
  when that is given. `-XX:MaxRAMFraction=N` (deprecated) means MaxRAMPercentage = 100/N.
  Option order: JAVA_TOOL_OPTIONS, then JDK_JAVA_OPTIONS and the command line, then _JAVA_OPTIONS;
  the last occurrence of a flag wins.
- .NET: runtime-config docs (garbage-collector): in a container with a memory limit the GC heap
  hard limit defaults to max(20MB, 75% of the limit) (.NET Core 3.0+). GC settings given as
  environment variables are read as *hexadecimal*, with or without `0x`.
- Node.js: `--max-old-space-size` (MiB) bounds V8's old generation. Without it Node asks V8 to size
  the heap from the memory it detects at start; whether that is the cgroup limit or the host's RAM
  depends on the Node/libuv release and the cgroup version, so the default is not something the
  pod spec controls.
"""

from __future__ import annotations

import contextlib
import re
from typing import Literal

import msgspec

from kubectl_mem.model.quantity import format_bytes
from kubectl_mem.model.records import ContainerSpec, EnvVar

RuntimeName = Literal["go", "jvm", "nodejs", "python", "dotnet", "unknown"]
Detection = Literal["evidence", "guess", "none"]
Severity = Literal["critical", "warning", "info"]

KI, MI, GI, TI = 1 << 10, 1 << 20, 1 << 30, 1 << 40
JVM_DEFAULT_MAX_HEAP = 130862280  # ScaleForWordSize(96*M) on 64-bit: 124.8Mi
JVM_DEFAULT_MAX_RAM_PCT = 25.0
JVM_DEFAULT_MIN_RAM_PCT = 50.0
NON_HEAP_MIN = 128 * MI  # rule of thumb: room the JVM / V8 need outside the heap
NON_HEAP_SHARE = 0.25
GO_MEMLIMIT_SHARE = 0.90
DOTNET_DEFAULT_PCT = 75


class Setting(msgspec.Struct, frozen=True, gc=False):
    """One memory-relevant setting found in the spec, and where."""

    name: str  # "GOMEMLIMIT", "-Xmx", "--max-old-space-size", ...
    value: str  # as written
    source: str  # "env GOMEMLIMIT", "env JAVA_TOOL_OPTIONS", "args", "command"
    meaning: str = ""  # e.g. "soft memory limit 460Mi"


class Fix(msgspec.Struct, frozen=True, gc=False):
    summary: str  # one line: what to change
    yaml: str  # the exact container snippet (under the pod template's spec)
    why: str = ""  # why this value, and its limits


class Trap(msgspec.Struct, frozen=True, gc=False):
    code: str  # stable id, e.g. "go-no-gomemlimit"; documented in docs/explain-schema.md
    severity: Severity
    title: str  # one line
    detail: str  # the reasoning, with the numbers
    fix: Fix | None = None


class RuntimeHint(msgspec.Struct, frozen=True, gc=False):
    container: str
    runtime: RuntimeName
    detection: Detection  # evidence (env/command/args) or guess (image name only)
    evidence: tuple[str, ...] = ()
    settings: tuple[Setting, ...] = ()
    heap_limit: int | None = None  # the runtime's own heap/GC ceiling in bytes, when known
    heap_limit_basis: str = ""  # how it was worked out
    traps: tuple[Trap, ...] = ()
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# parsing helpers


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


def _tokens(strings: tuple[str, ...]) -> list[str]:
    """Words of command/args, also inside `sh -c "java -Xmx1g ..."` strings."""
    out: list[str] = []
    for s in strings:
        out.extend(s.split())
    return out


def _basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def _image_name(image: str) -> tuple[str, str, str]:
    """(full repository path, last path component, tag) of an image reference."""
    ref = image.split("@", 1)[0]
    repo, tag = ref, ""
    last_colon = ref.rfind(":")
    if last_colon > ref.rfind("/"):
        repo, tag = ref[:last_colon], ref[last_colon + 1 :]
    return repo.lower(), repo.rsplit("/", 1)[-1].lower(), tag


def _env(c: ContainerSpec) -> dict[str, EnvVar]:
    return {e.name: e for e in c.env}  # the last definition wins, as in the kubelet


# ---------------------------------------------------------------------------------------------
# detection

_GO_IMAGES = frozenset(
    [
        "golang",
        "prometheus",
        "alertmanager",
        "node-exporter",
        "pushgateway",
        "coredns",
        "etcd",
        "traefik",
        "consul",
        "vault",
        "thanos",
        "loki",
        "promtail",
        "tempo",
        "mimir",
        "minio",
        "cert-manager",
        "cert-manager-controller",
        "external-dns",
        "kube-state-metrics",
        "metrics-server",
        "argocd",
        "caddy",
        "nats",
        "nats-server",
        "influxdb",
        "jaeger-all-in-one",
        "opentelemetry-collector",
        "opentelemetry-collector-contrib",
        "velero",
        "kyverno",
        "grafana-agent",
        "alloy",
    ]
)
_JVM_IMAGES = frozenset(
    [
        "openjdk",
        "java",
        "eclipse-temurin",
        "temurin",
        "amazoncorretto",
        "adoptopenjdk",
        "ibm-semeru-runtimes",
        "zulu-openjdk",
        "sapmachine",
        "tomcat",
        "jetty",
        "wildfly",
        "maven",
        "gradle",
        "elasticsearch",
        "logstash",
        "kafka",
        "cp-kafka",
        "cp-server",
        "zookeeper",
        "cassandra",
        "keycloak",
        "jenkins",
        "sonarqube",
        "solr",
        "neo4j",
        "flink",
        "spark",
        "trino",
        "activemq",
    ]
)
_NODE_IMAGES = frozenset({"node", "nodejs", "alpine-node"})
_PYTHON_IMAGES = frozenset({"python", "pypy", "jupyter", "base-notebook"})
_DOTNET_IMAGES = frozenset({"aspnet", "runtime", "runtime-deps", "sdk"})  # under mcr.../dotnet/

_EXECUTABLES: dict[str, RuntimeName] = {
    "java": "jvm",
    "node": "nodejs",
    "nodejs": "nodejs",
    "npm": "nodejs",
    "npx": "nodejs",
    "yarn": "nodejs",
    "pnpm": "nodejs",
    "dotnet": "dotnet",
    "python": "python",
    "python3": "python",
    "gunicorn": "python",
    "uvicorn": "python",
    "celery": "python",
    "uwsgi": "python",
    "hypercorn": "python",
    "daphne": "python",
}

_JVM_ENV = ("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "JAVA_OPTS")
_DOTNET_LIMIT_ENV = ("DOTNET_GCHeapHardLimit", "COMPlus_GCHeapHardLimit")
_DOTNET_PCT_ENV = ("DOTNET_GCHeapHardLimitPercent", "COMPlus_GCHeapHardLimitPercent")


def _detect(c: ContainerSpec) -> tuple[RuntimeName, Detection, list[str]]:
    env = _env(c)
    scores: dict[RuntimeName, list[str]] = {}

    def add(rt: RuntimeName, why: str) -> None:
        scores.setdefault(rt, []).append(why)

    for name in env:
        if name in ("GOMEMLIMIT", "GOGC", "GODEBUG", "GOMAXPROCS"):
            add("go", f"env {name}")
        elif name in _JVM_ENV:
            add("jvm", f"env {name}")
        elif name == "NODE_OPTIONS":
            add("nodejs", "env NODE_OPTIONS")
        elif name.startswith(("DOTNET_", "COMPlus_", "ASPNETCORE_")):
            add("dotnet", f"env {name}")
        elif name.startswith("PYTHON"):
            add("python", f"env {name}")
    words = _tokens(c.command + c.args)
    for w in words:
        rt = _EXECUTABLES.get(_basename(w))
        if rt is None and re.fullmatch(r"python3(\.\d+)?", _basename(w)):
            rt = "python"
        if rt is not None:
            add(rt, f'command "{_basename(w)}"')
        elif w.startswith(("-Xmx", "-Xms", "-XX:")) or w == "-jar":
            add("jvm", f"flag {w.split('=')[0]}")
        elif w.startswith(("--max-old-space-size", "--max_old_space_size")):
            add("nodejs", "flag --max-old-space-size")
    if scores:
        # strongest evidence: the most distinct signals (ties in a fixed order)
        order: list[RuntimeName] = ["go", "jvm", "nodejs", "dotnet", "python"]
        best = max(order, key=lambda rt: (len(scores.get(rt, [])), -order.index(rt)))
        return best, "evidence", list(dict.fromkeys(scores[best]))
    repo, last, _tag = _image_name(c.image)
    guess: RuntimeName | None = None
    if last in _GO_IMAGES:
        guess = "go"
    elif last in _JVM_IMAGES:
        guess = "jvm"
    elif last in _NODE_IMAGES:
        guess = "nodejs"
    elif last in _PYTHON_IMAGES:
        guess = "python"
    elif "/dotnet/" in f"/{repo}/" and last in _DOTNET_IMAGES or last == "dotnet":
        guess = "dotnet"
    if guess is not None:
        return guess, "guess", [f'image "{c.image}" (a guess from the image name)']
    return "unknown", "none", []


# ---------------------------------------------------------------------------------------------
# per runtime


def analyze_container(
    c: ContainerSpec,
    *,
    limit: int | None,
    node_memory: int | None = None,
    memory_volumes: int = 0,
) -> RuntimeHint:
    """The runtime hint for one container.

    `limit`: the container's memory limit in bytes (None: no limit). `node_memory`: the node's
    capacity, for a heap sized from host memory. `memory_volumes`: bytes of memory-backed emptyDir
    size limits the container mounts (memory the runtime's heap accounting does not see).
    """
    runtime, detection, evidence = _detect(c)
    base = RuntimeHint(container=c.name, runtime=runtime, detection=detection, evidence=tuple(evidence))
    if runtime == "go":
        return _go(c, base, limit, memory_volumes)
    if runtime == "jvm":
        return _jvm(c, base, limit, node_memory)
    if runtime == "nodejs":
        return _node(c, base, limit)
    if runtime == "dotnet":
        return _dotnet(c, base, limit)
    if runtime == "python":
        return _python(c, base, limit)
    return base


def _guess_note(h: RuntimeHint) -> tuple[str, ...]:
    if h.detection == "guess":
        return (
            "The runtime was guessed from the image name only; nothing in the spec confirms it. "
            "Ignore these hints if the image runs something else.",
        )
    return ()


def _container_yaml(name: str, env_lines: list[str]) -> str:
    lines = ["containers:", f"- name: {name}", "  env:"]
    lines += ["  " + line for line in env_lines]
    return "\n".join(lines)


def _go(c: ContainerSpec, h: RuntimeHint, limit: int | None, memory_volumes: int) -> RuntimeHint:
    env = _env(c)
    settings: list[Setting] = []
    traps: list[Trap] = []
    notes: list[str] = list(_guess_note(h))
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
                gomemlimit = limit
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
                        _go_fix(c.name, limit),
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
                _go_fix(c.name, limit),
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
                _go_fix(c.name, limit),
            )
        )
    if memlimit_from_downward:
        notes.append(
            "The downward API cannot tell which divisor was used; Go reads a bare number as bytes, so "
            'it must be divisor "1" (the default).'
        )
    return msgspec.structs.replace(
        h,
        settings=tuple(settings),
        heap_limit=gomemlimit,
        heap_limit_basis=heap_basis,
        traps=tuple(traps),
        notes=tuple(notes),
    )


def _go_fix(name: str, limit: int | None) -> Fix | None:
    if limit is None:
        return None
    target = int(limit * GO_MEMLIMIT_SHARE)
    value = f"{mib_floor(target)}MiB"
    yaml = _container_yaml(
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
    return Fix(f"set GOMEMLIMIT={value} on container {name}", yaml, why)


def _jvm_options(c: ContainerSpec) -> tuple[list[tuple[str, str]], list[str]]:
    """(flag, source) in the order the JVM applies them, and notes about what is not visible."""
    env = _env(c)
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
    ordered.extend((w, "command/args") for w in _tokens(c.command + c.args))
    from_env("_JAVA_OPTIONS")
    return ordered, notes


def _jvm_old_image(image: str) -> str | None:
    """A reason to think the JVM predates container support (8u191), from the image tag; a guess."""
    _repo, last, tag = _image_name(image)
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


def recommended_heap_pct(limit: int) -> int:
    """Heap share of the limit leaving max(25%, 128Mi) for non-heap memory; at most 75, at least 25."""
    room = max(NON_HEAP_MIN, int(limit * NON_HEAP_SHARE))
    pct = (limit - room) * 100 // limit if limit > 0 else 25
    return int(max(25, min(75, pct)))


def _jvm(c: ContainerSpec, h: RuntimeHint, limit: int | None, node_memory: int | None) -> RuntimeHint:
    flags, notes = _jvm_options(c)
    notes = list(_guess_note(h)) + notes
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
        fix = _jvm_fix(c, limit, flags, xmx, host_sized_reason != "" and xmx is None)
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


def _jvm_fix(
    c: ContainerSpec,
    limit: int,
    flags: list[tuple[str, str]],
    xmx: tuple[int, str, str] | None,
    old_jvm: bool,
) -> Fix:
    pct = recommended_heap_pct(limit)
    heap = limit * pct // 100
    env = _env(c)
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
    yaml = _container_yaml(c.name, ["- name: JAVA_TOOL_OPTIONS", f'  value: "{value}"'])
    if elsewhere:
        where = ", ".join(elsewhere)
        why += f" Remove the heap flags from {where}: an explicit -Xmx overrides the percentage"
        why += ", and _JAVA_OPTIONS overrides everything." if "env _JAVA_OPTIONS" in elsewhere else "."
    return Fix(summary, yaml, why)


def _node(c: ContainerSpec, h: RuntimeHint, limit: int | None) -> RuntimeHint:
    env = _env(c)
    settings: list[Setting] = []
    notes = list(_guess_note(h))
    old_space: tuple[int, str, str] | None = None
    sources: list[tuple[str, str]] = []
    ev = env.get("NODE_OPTIONS")
    if ev is not None and ev.value is not None:
        sources += [(w, "env NODE_OPTIONS") for w in ev.value.split()]
    elif ev is not None:
        notes.append("NODE_OPTIONS comes from a ConfigMap or Secret; its flags are not visible here.")
    sources += [(w, "command/args") for w in _tokens(c.command + c.args)]
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
        fix = _node_fix(c, limit)
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


def _node_fix(c: ContainerSpec, limit: int) -> Fix:
    pct = recommended_heap_pct(limit)
    mib = mib_floor(limit * pct // 100)
    ev = _env(c).get("NODE_OPTIONS")
    keep = ""
    if ev is not None and ev.value:
        keep = " ".join(w for w in ev.value.split() if not re.match(r"--max[-_]old[-_]space[-_]size", w))
    value = f"{keep} --max-old-space-size={mib}".strip()
    yaml = _container_yaml(
        c.name,
        ["- name: NODE_OPTIONS", f'  value: "{value}"   # MiB, {pct}% of the {format_bytes(limit)} limit'],
    )
    why = (
        f"--max-old-space-size is in MiB: {mib} is {pct}% of the {format_bytes(limit)} limit, leaving "
        f"{format_bytes(limit - mib * MI)} for the young generation, buffers and native memory. It does "
        "not follow the limit: change both together. A flag in the command or args overrides it."
    )
    return Fix(f"set NODE_OPTIONS=--max-old-space-size={mib} on container {c.name}", yaml, why)


def _dotnet(c: ContainerSpec, h: RuntimeHint, limit: int | None) -> RuntimeHint:
    env = _env(c)
    settings: list[Setting] = []
    notes = list(_guess_note(h))
    traps: list[Trap] = []
    hard: tuple[int, str, str] | None = None
    pct: tuple[int, str, str] | None = None
    for name in _DOTNET_LIMIT_ENV:
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
    for name in _DOTNET_PCT_ENV:
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
        fix = _dotnet_fix(c.name, limit)
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


def _dotnet_fix(name: str, limit: int) -> Fix:
    pct = recommended_heap_pct(limit)
    yaml = _container_yaml(
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


def _python(c: ContainerSpec, h: RuntimeHint, limit: int | None) -> RuntimeHint:
    notes = list(_guess_note(h))
    settings: list[Setting] = []
    words = _tokens(c.command + c.args)
    for i, w in enumerate(words):
        m = re.fullmatch(r"(--workers|-w|--concurrency|-c|--processes|-p)(?:=(\d+))?", w)
        if m:
            n = m.group(2) or (words[i + 1] if i + 1 < len(words) and words[i + 1].isdigit() else None)
            if n is not None:
                settings.append(Setting(m.group(1), n, "command/args", f"{n} worker processes"))
    notes.append(
        "CPython has no heap ceiling to set: memory grows until the limit. Each worker process "
        "(gunicorn/uwsgi workers, celery concurrency) adds its own memory to the same cgroup, so the "
        "limit must cover workers x per-worker memory."
    )
    if settings:
        notes.append(
            f"Workers found: {settings[-1].value} ({settings[-1].name}); recycling them "
            "(gunicorn --max-requests, celery --max-tasks-per-child) bounds slow growth."
        )
    return msgspec.structs.replace(h, settings=tuple(settings), notes=tuple(notes))
