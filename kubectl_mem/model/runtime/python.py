"""Python: no heap ceiling to set; worker processes multiply memory."""

from __future__ import annotations

import re

import msgspec

from kubectl_mem.model.records import ContainerSpec
from kubectl_mem.model.runtime.common import guess_note
from kubectl_mem.model.runtime.hints import RuntimeHint, Setting
from kubectl_mem.model.runtime.parse import tokens


def python_hint(c: ContainerSpec, h: RuntimeHint, limit: int | None) -> RuntimeHint:
    notes = list(guess_note(h))
    settings: list[Setting] = []
    words = tokens(c.command + c.args)
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
