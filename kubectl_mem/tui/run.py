"""`kubectl mem top` on a terminal: settings from the config file and flags, then the app."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from kubectl_mem.errors import ExitStatus
from kubectl_mem.kube.snapshot_source import SnapshotSource
from kubectl_mem.tui.config import load_settings

if TYPE_CHECKING:
    from kubectl_mem.cli.env import Env


def run(source: SnapshotSource, opts: argparse.Namespace, env: Env, *, sort: tuple[str, bool]) -> ExitStatus:
    settings = load_settings(env.environ, refresh=getattr(opts, "refresh", None), sort=sort)
    from kubectl_mem.tui.app import make_app

    app = make_app(source, settings)
    app.run()
    return ExitStatus.OK
