"""What the runtime analysis returns: the runtime found, the memory settings read, traps and fixes."""

from __future__ import annotations

from typing import Literal

import msgspec

RuntimeName = Literal["go", "jvm", "nodejs", "python", "dotnet", "unknown"]


Detection = Literal["evidence", "guess", "none"]


Severity = Literal["critical", "warning", "info"]


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
