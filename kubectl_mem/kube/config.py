"""Cluster access configuration: kubectl's kubeconfig rules, read by us, into one urllib3 pool.

kubectl conventions: `--kubeconfig` wins over `KUBECONFIG`, which is a path list whose first file
that sets a value wins (current-context, and each cluster, user and context by name); relative paths
in a file are relative to that file; `--context`; namespace from `-n`, else the context's, else
"default"; in-cluster config (the service account) when no kubeconfig exists. Proxy: the cluster's
proxy-url, else HTTPS_PROXY/HTTP_PROXY/ALL_PROXY unless NO_PROXY covers the server.

We read kubeconfigs ourselves rather than through the `kubernetes` client: importing that client
costs ~180 ms of CPU (pydantic, requests, oauthlib), more than a 200-pod `top` does with its data.
The client is still used, imported only then, for a user with a legacy `auth-provider` (oidc, gcp,
azure), whose token refresh we do not reimplement.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import ssl
import tempfile
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import urllib3
import yaml

from kubectl_mem import __version__
from kubectl_mem.errors import ConfigError, NotFoundError
from kubectl_mem.kube.credentials import (
    Basic,
    ClientCert,
    Credentials,
    Exec,
    Token,
    TokenFile,
    stdin_is_terminal,
)

DEFAULT_KUBECONFIG = "~/.kube/config"
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
USER_AGENT = f"kubectl-mem/{__version__}"


@dataclass
class Tls:
    """What the pool needs to make its TLS connections."""

    ca_file: str | None = None
    ca_data: str | None = None  # PEM
    cert_file: str | None = None
    key_file: str | None = None
    cert: ClientCert | None = None  # PEM in memory
    insecure: bool = False
    server_name: str | None = None


@dataclass
class Connection:
    server: str  # base URL, no trailing slash
    context: str  # context name, "in-cluster" when loaded from the service account
    namespace: str  # the namespace to use when -n is not given: the context's, else "default"
    credentials: Credentials = field(default_factory=Credentials)
    tls: Tls = field(default_factory=Tls)
    proxy: str | None = None
    request_timeout: float | None = None
    # the `kubernetes` client's pool, for the auth-provider users it serves (see _legacy)
    fixed_pool: urllib3.PoolManager | None = None
    _pool: urllib3.PoolManager | None = field(default=None, repr=False)
    _pool_cert: ClientCert | None = field(default=None, repr=False)

    def url(self, path: str, params: Sequence[tuple[str, str]] = ()) -> str:
        return self.server + path + (f"?{urlencode(list(params))}" if params else "")

    def headers(self, extra: dict[str, str]) -> dict[str, str]:
        return {"User-Agent": USER_AGENT, **self.credentials.headers(), **extra}

    @property
    def pool(self) -> urllib3.PoolManager:
        if self.fixed_pool is not None:
            return self.fixed_pool
        cert = self.credentials.client_cert()  # an exec plugin may have renewed it
        if self._pool is None or cert is not self._pool_cert:
            if self._pool is not None:
                self._pool.clear()
            self._pool, self._pool_cert = _make_pool(self.server, self.tls, cert, self.proxy), cert
        return self._pool

    def close(self) -> None:
        pool = self.fixed_pool or self._pool
        if pool is not None:
            pool.clear()


def kubeconfig_paths(explicit: str | None) -> list[str]:
    if explicit:
        return [os.path.expanduser(explicit)]
    env = os.environ.get("KUBECONFIG", "")
    paths = [os.path.expanduser(p) for p in env.split(os.pathsep) if p] if env else []
    return paths or [os.path.expanduser(DEFAULT_KUBECONFIG)]


def _read_yaml(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as e:
        raise ConfigError(f"cannot read kubeconfig {path}: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"kubeconfig {path} is not valid YAML: {str(e).splitlines()[0]}") from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"kubeconfig {path} is not a kubeconfig (expected a mapping)")
    return data


@dataclass
class _Named:
    value: dict
    base_dir: str  # the directory of the file that defined it: relative paths start there


@dataclass
class _Merged:
    current: str = ""
    contexts: dict[str, _Named] = field(default_factory=dict)
    clusters: dict[str, _Named] = field(default_factory=dict)
    users: dict[str, _Named] = field(default_factory=dict)


def _merge(files: list[tuple[str, dict]]) -> _Merged:
    """current-context and each named context, cluster and user: the first file that sets it wins."""
    m = _Merged()
    for path, data in files:
        base = os.path.dirname(os.path.abspath(path))
        if not m.current and data.get("current-context"):
            m.current = str(data["current-context"])
        for key, inner, into in (
            ("contexts", "context", m.contexts),
            ("clusters", "cluster", m.clusters),
            ("users", "user", m.users),
        ):
            for item in data.get(key) or []:
                if isinstance(item, dict) and "name" in item:
                    into.setdefault(str(item["name"]), _Named(item.get(inner) or {}, base))
    return m


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

    merged = _merge([(p, _read_yaml(p)) for p in existing])
    name = context or merged.current
    if not name:
        raise ConfigError(
            "no current context in kubeconfig "
            f"({os.pathsep.join(existing)}): pass --context or run `kubectl config use-context`"
        )
    if name not in merged.contexts:
        raise NotFoundError(f'context "{name}" does not exist in {os.pathsep.join(existing)}')
    ctx = merged.contexts[name].value
    ns = namespace or ctx.get("namespace") or "default"
    cluster = merged.clusters.get(str(ctx.get("cluster", "")))
    if cluster is None or not cluster.value.get("server"):
        raise ConfigError(f'kubeconfig context "{name}": its cluster has no server')
    user = merged.users.get(str(ctx.get("user", "")), _Named({}, cluster.base_dir))
    if user.value.get("auth-provider"):
        return _legacy(existing, name, ns, timeout)
    server = str(cluster.value["server"]).rstrip("/")
    try:
        tls = _tls(cluster, user) if server.startswith("https") else Tls()
        credentials = _credentials(user, cluster.value)
    except ConfigError as e:
        raise ConfigError(f'kubeconfig context "{name}": {e}') from None
    proxy = cluster.value.get("proxy-url") or _env_proxy(server)
    return Connection(server, name, ns, credentials, tls, proxy, timeout)


def _path(named: _Named, key: str) -> str | None:
    value = named.value.get(key)
    if not value:
        return None
    path = os.path.expanduser(str(value))
    return path if os.path.isabs(path) else os.path.join(named.base_dir, path)


def _data(named: _Named, key: str) -> bytes | None:
    value = named.value.get(key)
    if not value:
        return None
    try:
        return base64.b64decode(str(value), validate=False)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{key} is not base64") from None


def _tls(cluster: _Named, user: _Named) -> Tls:
    tls = Tls(
        insecure=bool(cluster.value.get("insecure-skip-tls-verify")),
        server_name=cluster.value.get("tls-server-name") or None,
    )
    ca = _data(cluster, "certificate-authority-data")
    if ca is not None:
        tls.ca_data = ca.decode("ascii", errors="replace")
    else:
        tls.ca_file = _path(cluster, "certificate-authority")
    cert, key = _data(user, "client-certificate-data"), _data(user, "client-key-data")
    cert_file, key_file = _path(user, "client-certificate"), _path(user, "client-key")
    if cert is not None or key is not None:
        cert = cert if cert is not None else _read(cert_file, "client-certificate")
        key = key if key is not None else _read(key_file, "client-key")
        tls.cert = ClientCert(cert, key)
    elif cert_file or key_file:
        if not (cert_file and key_file):
            raise ConfigError("a client certificate needs both client-certificate and client-key")
        tls.cert_file, tls.key_file = cert_file, key_file
    for path in (tls.ca_file, tls.cert_file, tls.key_file):
        if path and not os.path.exists(path):
            raise ConfigError(f"{path} does not exist")
    return tls


def _read(path: str | None, what: str) -> bytes:
    if not path:
        raise ConfigError(f"a client certificate needs both client-certificate and client-key ({what})")
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror}") from None


def _credentials(user: _Named, cluster: dict) -> Credentials:
    u = user.value
    token_file = _path(user, "tokenFile")
    if token_file:
        return TokenFile(token_file, fallback=u.get("token") or None)
    if u.get("token"):
        return Token(str(u["token"]))
    if u.get("exec"):
        return Exec(u["exec"], base_dir=user.base_dir, cluster=cluster, stdin_is_terminal=stdin_is_terminal())
    if u.get("username") and u.get("password"):
        return Basic(str(u["username"]), str(u["password"]))
    return Credentials()


def _make_pool(server: str, tls: Tls, cert: ClientCert | None, proxy: str | None) -> urllib3.PoolManager:
    kw: dict = {"maxsize": (os.cpu_count() or 1) * 5}
    if server.startswith("https"):
        kw["ssl_context"] = _ssl_context(tls, cert or tls.cert)
        if tls.insecure:
            kw["cert_reqs"], kw["assert_hostname"] = "CERT_NONE", False
            # kubectl says nothing per request either; the user chose insecure-skip-tls-verify
            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        else:
            kw["cert_reqs"] = "CERT_REQUIRED"
        if tls.server_name:
            kw["server_hostname"] = tls.server_name
    if proxy:
        if proxy.startswith("socks"):
            try:
                from urllib3.contrib.socks import SOCKSProxyManager
            except ImportError:
                raise ConfigError(f"proxy {proxy}: SOCKS proxies need the PySocks package") from None
            return SOCKSProxyManager(proxy, **kw)
        return urllib3.ProxyManager(proxy, **kw)
    return urllib3.PoolManager(**kw)


def _ssl_context(tls: Tls, cert: ClientCert | None) -> ssl.SSLContext:
    """One context for the pool: the CA loaded once, a client certificate from memory."""
    from urllib3.util.ssl_ import create_urllib3_context

    ctx = create_urllib3_context(cert_reqs=ssl.CERT_NONE if tls.insecure else ssl.CERT_REQUIRED)
    try:
        if tls.insecure:
            pass
        elif tls.ca_file or tls.ca_data:
            ctx.load_verify_locations(cafile=tls.ca_file, cadata=tls.ca_data)
        else:
            ctx.load_default_certs()
        if tls.cert_file and tls.key_file:
            ctx.load_cert_chain(tls.cert_file, tls.key_file)
        elif cert is not None:
            _load_chain_from_memory(ctx, cert)
    except (ssl.SSLError, OSError, ValueError) as e:
        raise ConfigError(f"TLS material in the kubeconfig cannot be loaded: {e}") from None
    return ctx


def _load_chain_from_memory(ctx: ssl.SSLContext, cert: ClientCert) -> None:
    """ssl loads a certificate chain from files only: one private file, removed once read."""
    fd, path = tempfile.mkstemp(prefix="kubectl-mem-client-", suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(cert.cert.rstrip(b"\n") + b"\n" + cert.key)
        ctx.load_cert_chain(path)
    finally:
        os.unlink(path)


def _env_proxy(server: str) -> str | None:
    """The proxy environment variables as Go's net/http reads them (lower case first)."""

    def env(name: str) -> str:
        return os.environ.get(name.lower()) or os.environ.get(name.upper()) or ""

    scheme = urlsplit(server).scheme
    proxy = env(f"{scheme}_proxy") or env("all_proxy")
    if not proxy or _no_proxy(server, env("no_proxy")):
        return None
    return proxy


def _no_proxy(server: str, rules: str) -> bool:
    parts = urlsplit(server)
    host = (parts.hostname or "").lower()
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for rule in (r.strip().lower() for r in rules.split(",")):
        if not rule:
            continue
        if rule == "*":
            return True
        if ip is not None:
            try:
                if ip in ipaddress.ip_network(rule, strict=False):
                    return True
            except ValueError:
                pass
        rule = rule.lstrip(".")
        if host == rule or host.endswith("." + rule) or parts.netloc.lower() == rule:
            return True
    return False


def _legacy(paths: list[str], name: str, ns: str, timeout: float | None) -> Connection:
    """A user with an auth-provider: the `kubernetes` client loads it and owns the pool, so that
    its token refresh (oidc refresh tokens, gcp) works as before."""
    from kubernetes import config as kconfig
    from kubernetes.client import ApiClient, Configuration

    cfg = Configuration()
    try:
        kconfig.load_kube_config(config_file=os.pathsep.join(paths), context=name, client_configuration=cfg)
    except (kconfig.ConfigException, OSError) as e:
        raise ConfigError(f'kubeconfig context "{name}": {e}') from e
    pool = ApiClient(cfg).rest_client.pool_manager
    return Connection(cfg.host, name, ns, _LegacyToken(cfg), Tls(), None, timeout, fixed_pool=pool)


class _LegacyToken(Credentials):
    def __init__(self, cfg: object) -> None:
        self.cfg = cfg

    def headers(self) -> dict[str, str]:
        cfg = self.cfg
        hook: Callable | None = getattr(cfg, "refresh_api_key_hook", None)
        if hook is not None:
            hook(cfg)
        token = cfg.get_api_key_with_prefix("BearerToken")  # type: ignore[attr-defined]
        return {"Authorization": token} if token else {}


def _in_cluster(namespace: str | None, timeout: float | None, *, looked_at: list[str]) -> Connection:
    host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT")
    token = os.path.join(SERVICE_ACCOUNT_DIR, "token")
    if not host or not port or not os.path.exists(token):
        raise ConfigError(
            f"no kubeconfig found (looked at {os.pathsep.join(looked_at)}) and not running in a cluster: "
            "pass --kubeconfig or set KUBECONFIG"
        )
    if ":" in host:  # IPv6
        host = f"[{host}]"
    ca = os.path.join(SERVICE_ACCOUNT_DIR, "ca.crt")
    ns = namespace
    if not ns:
        try:
            with open(os.path.join(SERVICE_ACCOUNT_DIR, "namespace"), encoding="utf-8") as f:
                ns = f.read().strip()
        except OSError:
            ns = ""
    server = f"https://{host}:{port}"
    tls = Tls(ca_file=ca if os.path.exists(ca) else None)
    return Connection(
        server, "in-cluster", ns or "default", TokenFile(token), tls, _env_proxy(server), timeout
    )
