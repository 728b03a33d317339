"""Settings of the interactive view, read from the user's config file. Pure: no Textual.

The file is YAML, at `$KUBECTL_MEM_CONFIG`, else `$XDG_CONFIG_HOME/kubectl-mem/config.yaml`, else
`~/.config/kubectl-mem/config.yaml`:

    refresh: 10            # seconds between refreshes (--refresh wins)
    theme: textual-dark    # any Textual theme name
    thresholds: {warn: 70, critical: 90}   # % of limit
    keymap:                # binding id -> keys (comma-separated), as Textual's keymaps
      sort-risk: R
      quit: q,ctrl+d
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kubectl_mem.errors import ConfigError

DEFAULT_REFRESH = 10.0
MIN_REFRESH = 0.5


@dataclass
class Settings:
    refresh: float = DEFAULT_REFRESH
    warn_pct: float = 70.0
    critical_pct: float = 90.0
    keymap: dict[str, str] = field(default_factory=dict)
    theme: str | None = None
    sort: tuple[str, bool] = ("risk", True)  # column key, descending
    max_samples: int = 90  # 15 minutes at the default interval (sparkline, growth rate)
    config_path: str | None = None  # the file read, or that would be read: it may not exist
    config_found: bool = False
    hide_terminated: bool = False  # ended pods (history) left out of the pods table; key t


def config_path(environ: Mapping[str, str]) -> Path:
    explicit = environ.get("KUBECTL_MEM_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(environ.get("HOME", "~"), ".config")
    return Path(base).expanduser() / "kubectl-mem" / "config.yaml"


def _number(data: Mapping, key: str, default: float, path: Path) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{path}: {key} must be a number, got {value!r}")
    return float(value)


def load_settings(
    environ: Mapping[str, str],
    *,
    refresh: float | None = None,
    sort: str = "risk",
    hide_terminated: bool = False,
) -> Settings:
    """The settings from the config file (absent file: defaults), with command-line values winning."""
    path = config_path(environ)
    data: dict = {}
    if path.exists():
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise ConfigError(f"cannot read {path}: {e.strerror}") from e
        except yaml.YAMLError as e:
            raise ConfigError(f"{path} is not valid YAML: {str(e).splitlines()[0]}") from e
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level")
        data = loaded or {}
    keymap = data.get("keymap") or {}
    if not isinstance(keymap, dict) or not all(isinstance(k, str) for k in keymap):
        raise ConfigError(f"{path}: keymap must map binding ids to keys, e.g. `sort-risk: R`")
    thresholds = data.get("thresholds") or {}
    if not isinstance(thresholds, dict):
        raise ConfigError(f"{path}: thresholds must be a mapping with warn and critical")
    theme = data.get("theme")
    settings = Settings(
        refresh=_number(data, "refresh", DEFAULT_REFRESH, path),
        warn_pct=_number(thresholds, "warn", 70.0, path),
        critical_pct=_number(thresholds, "critical", 90.0, path),
        keymap={k: str(v) for k, v in keymap.items()},
        theme=str(theme) if theme else None,
        sort=sort,
        config_path=str(path),
        config_found=path.exists(),
        hide_terminated=hide_terminated,
    )
    if refresh is not None:
        settings.refresh = refresh
    if settings.refresh < MIN_REFRESH:
        raise ConfigError(f"refresh interval {settings.refresh:g}s is too short (minimum {MIN_REFRESH:g}s)")
    return settings
