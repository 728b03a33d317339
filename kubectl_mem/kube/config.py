"""Cluster access configuration, through the `kubernetes` client's own loaders.

kubectl conventions: `--kubeconfig` wins over `KUBECONFIG`, which is a path list whose first file
that sets a value wins (the client's merger lets a later file's current-context win, so we pick
the context ourselves); `--context`; namespace from `-n`, else the context's, else "default";
in-cluster config when no kubeconfig exists; exec credential plugins and client certificates are
handled by the client.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import yaml
from kubernetes import config as kconfig
from kubernetes.client import ApiClient, Configuration

from kubectl_mem.errors import ConfigError, NotFoundError

DEFAULT_KUBECONFIG = "~/.kube/config"


@dataclass
class Connection:
    api: ApiClient
    context: str  # context name, "in-cluster" when loaded from the service account
    namespace: str  # the namespace to use when -n is not given: the context's, else "default"
    server: str
    request_timeout: float | None = None

    def close(self) -> None:
        self.api.close()


def kubeconfig_paths(explicit: str | None) -> list[str]:
    if explicit:
        return [os.path.expanduser(explicit)]
    env = os.environ.get("KUBECONFIG", "")
    paths = [os.path.expanduser(p) for p in env.split(os.pathsep) if p] if env else []
    return paths or [os.path.expanduser(DEFAULT_KUBECONFIG)]


def _read_yaml(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except OSError as e:
        raise ConfigError(f"cannot read kubeconfig {path}: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"kubeconfig {path} is not valid YAML: {str(e).splitlines()[0]}") from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"kubeconfig {path} is not a kubeconfig (expected a mapping)")
    return data


def _first_wins(files: list[dict]) -> tuple[str, dict[str, dict]]:
    """current-context and contexts by name, the first file that sets a value winning."""
    current = ""
    contexts: dict[str, dict] = {}
    for data in files:
        if not current and data.get("current-context"):
            current = str(data["current-context"])
        for item in data.get("contexts") or []:
            if isinstance(item, dict) and "name" in item:
                contexts.setdefault(str(item["name"]), item.get("context") or {})
    return current, contexts


def parse_timeout(value: str | None) -> float | None:
    """kubectl's --request-timeout: "0" means no timeout; a bare number is seconds; units s, m, h."""
    if value is None or value in ("", "0"):
        return None
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    for suffix in ("ms", "s", "m", "h"):
        if value.endswith(suffix):
            number, scale = value[: -len(suffix)], units[suffix]
            break
    else:
        number, scale = value, 1.0
    try:
        seconds = float(number) * scale
    except ValueError:
        raise ConfigError(
            f'invalid --request-timeout "{value}": use a number of seconds or a duration like 5s, 1m'
        ) from None
    if seconds < 0:
        raise ConfigError(f'invalid --request-timeout "{value}": must not be negative')
    return seconds or None


def connect(
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    namespace: str | None = None,
    request_timeout: str | None = None,
) -> Connection:
    timeout = parse_timeout(request_timeout)
    paths = kubeconfig_paths(kubeconfig)
    existing = [p for p in paths if os.path.exists(p)]
    if kubeconfig and not existing:
        raise ConfigError(f"kubeconfig {kubeconfig} does not exist")
    if not existing:
        return _in_cluster(namespace, timeout, looked_at=paths)

    files = [_read_yaml(p) for p in existing]
    current, contexts = _first_wins(files)
    name = context or current
    if not name:
        raise ConfigError(
            "no current context in kubeconfig "
            f"({os.pathsep.join(existing)}): pass --context or run `kubectl config use-context`"
        )
    if name not in contexts:
        raise NotFoundError(f'context "{name}" does not exist in {os.pathsep.join(existing)}')

    cfg = Configuration()
    try:
        kconfig.load_kube_config(
            config_file=os.pathsep.join(existing), context=name, client_configuration=cfg
        )
    except kconfig.ConfigException as e:
        raise ConfigError(f'kubeconfig context "{name}": {e}') from e
    except OSError as e:
        # e.g. a client certificate or CA file named in the kubeconfig is missing
        raise ConfigError(f'kubeconfig context "{name}": {e}') from e
    ns = namespace or contexts[name].get("namespace") or "default"
    return Connection(ApiClient(cfg), name, ns, cfg.host, timeout)


def _in_cluster(namespace: str | None, timeout: float | None, *, looked_at: list[str]) -> Connection:
    cfg = Configuration()
    try:
        kconfig.load_incluster_config(client_configuration=cfg)
    except kconfig.ConfigException:
        raise ConfigError(
            f"no kubeconfig found (looked at {os.pathsep.join(looked_at)}) and not running in a cluster: "
            "pass --kubeconfig or set KUBECONFIG"
        ) from None
    ns = namespace
    if not ns:
        try:
            with open("/var/run/secrets/kubernetes.io/serviceaccount/namespace", encoding="utf-8") as f:
                ns = f.read().strip()
        except OSError:
            ns = ""
    return Connection(ApiClient(cfg), "in-cluster", ns or "default", cfg.host, timeout)
