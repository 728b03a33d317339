"""Which language runtime a container runs, how its heap is bounded, and the classic traps.

Pure rules over a container's spec (image, command, args, env): no I/O. Detection from env, command
and args is *evidence* (the settings are right there); detection from the image name alone is a
*guess* and is labelled so everywhere it is shown.

- `hints`: the result types; `parse`: the runtimes' size syntaxes; `images`: what names say (data)
- `detect`: which runtime; `analyze`: detect, then that runtime's rules
- `go`, `jvm`, `nodejs`, `dotnet`, `python`: each runtime's rules, sources and fixes
"""

from kubectl_mem.model.runtime.analyze import analyze_container
from kubectl_mem.model.runtime.common import recommended_heap_pct
from kubectl_mem.model.runtime.hints import Detection, Fix, RuntimeHint, RuntimeName, Setting, Severity, Trap
from kubectl_mem.model.runtime.jvm import jvm_default_heap
from kubectl_mem.model.runtime.parse import mib_floor, parse_dotnet_hex, parse_go_bytes, parse_jvm_size

__all__ = [
    "Detection",
    "Fix",
    "RuntimeHint",
    "RuntimeName",
    "Setting",
    "Severity",
    "Trap",
    "analyze_container",
    "jvm_default_heap",
    "mib_floor",
    "parse_dotnet_hex",
    "parse_go_bytes",
    "parse_jvm_size",
    "recommended_heap_pct",
]
