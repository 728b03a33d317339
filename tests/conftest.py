"""Shared fixtures. The simulated cluster (kubectl_mem.sim) is the test double for every cluster call:

def test_x(sim):                      # demo-sized deterministic cluster, admin token, TLS
    run(["kubectl", "--kubeconfig", str(sim.kubeconfig), "get", "pods", "-A"])

def test_y(sim_factory):              # your own cluster, auth and faults
    c = Cluster(); c.add_node(make_node("n1")); c.add_pod(make_pod("p", "default", "n1"))
    srv = sim_factory(c, auth=Auth({"t": ("alice", [Rule(verbs=("list",), resources=("pods",))])}))
    kubeconfig = srv.write_kubeconfig(tmp_path / "kc", token="t")

def test_z(control_plane):            # a real etcd + kube-apiserver (tests/envtest), one per session
    run(["kubectl", "--kubeconfig", str(control_plane.kubeconfig("viewer")), "get", "pods", "-A"])
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from envtest import AssetsMissing, ControlPlane, find_assets
from hypothesis import HealthCheck, settings
from needs import install_hint

from kubectl_mem.sim import DEFAULT_NOW, Auth, Cluster, Faults, SimServer, generate

# Property tests judge results, not speed: hypothesis's 200 ms deadline per example and its too-slow
# health check fail on a loaded machine (CI shares 2 CPUs). Under CI the examples are derandomized,
# so a run's outcome is the one seen before landing.
settings.register_profile(
    "kubectl-mem",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("CI", "").lower() in ("1", "true", "yes"),
)
settings.load_profile("kubectl-mem")

SimFactory = Callable[..., SimServer]
REAL_TIERS = ("apiserver", "realnode")  # markers of the tiers on real Kubernetes binaries
Kubectl = Callable[..., subprocess.CompletedProcess[str]]


# Every process the session starts inherits RUN_MARK=<this run> (kubectl, the plugin, etcd,
# kube-apiserver, containerd, the kubelet, ...): one still alive when the session ends was left
# behind, and fails the run (pytest_sessionfinish), as does a kubectl-mem*/sim-cgroup-* entry left in
# the machine's own temporary folder (where a program that ignores TMPDIR would leave it).
RUN_MARK = "KUBECTL_MEM_TEST_RUN"
_RUN_ID = f"{os.getpid()}-{os.urandom(6).hex()}"
_SYSTEM_TMP = Path(tempfile.gettempdir())
_system_tmp_before: set[str] = set()


def _hear_interrupts() -> None:
    """Started as a background job of a non-interactive shell (as CI may start .ci/run, or `cmd &`),
    the run inherits SIGINT and SIGQUIT ignored, and so would every program it starts: the tests that
    press Ctrl-C on the plugin saw it finish as if never interrupted (exit 0, not 130). A handler
    (unlike SIG_IGN) is reset to the default by exec, so the programs the tests start hear them."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGQUIT) == signal.SIG_IGN:
        signal.signal(signal.SIGQUIT, lambda signum, frame: None)


def pytest_configure(config: pytest.Config) -> None:
    _hear_interrupts()


def pytest_sessionstart(session: pytest.Session) -> None:
    if shutil.which("kubectl") is None:
        pytest.exit(install_hint("kubectl") + " (the tests run kubectl mem through it)", returncode=4)
    os.environ[RUN_MARK] = _RUN_ID
    _system_tmp_before.update(os.listdir(_SYSTEM_TMP))


def _processes_of_this_run() -> list[str]:
    """Live processes (zombies have no environment) carrying this run's mark, but this one."""
    mark, me, found = f"{RUN_MARK}={_RUN_ID}".encode(), os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            if mark not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        found.append(f"pid {entry.name}: {cmd.strip()[:160]}")
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After every fixture's teardown: nothing of the run may be left running or in the system /tmp."""

    def left_in_system_tmp() -> list[str]:
        if not _ci():  # a developer's machine is shared: another run may be writing its own /tmp now
            return []
        return sorted(n for n in set(os.listdir(_SYSTEM_TMP)) - _system_tmp_before if n.startswith(LEFTOVERS))

    # processes killed by the last teardowns take a moment to go; an entry of /tmp that goes too
    # was another program's at work (CI=true on a shared machine: someone's `--demo --cgroups`):
    # what is left is what stays there the whole time
    deadline = time.monotonic() + 15
    procs, left = _processes_of_this_run(), left_in_system_tmp()
    while (procs or left) and time.monotonic() < deadline:
        time.sleep(0.2)
        procs, left = _processes_of_this_run(), sorted(set(left) & set(left_in_system_tmp()))
    if not procs and not left:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write("\n")
    lines = [f"left running by the tests: {p}" for p in procs]
    lines += [f"left in {_SYSTEM_TMP}: {n}" for n in left]
    for line in lines:
        if reporter is not None:
            reporter.write_line(f"error: {line}", red=True)
        else:
            print(f"error: {line}")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    missing: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
        reason = reason.removeprefix("Skipped: ")
        if " not found on PATH: install it " in reason:
            missing[reason] = missing.get(reason, 0) + 1
    for reason, count in sorted(missing.items()):
        terminalreporter.write_line(f"{reason}: {count} test(s) skipped", yellow=True)


# What the plugin and its simulated cluster would leave in a user's /tmp if they forgot to clean up.
LEFTOVERS = ("kubectl-mem-", "sim-cgroup-")


@pytest.fixture(scope="session", autouse=True)
def private_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's temporary files (this process's and its subprocesses') in a folder of its own,
    so that `leaves_nothing` sees exactly what the tests leave."""
    path = tmp_path_factory.mktemp("TMPDIR")
    saved_env, saved_dir = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"] = tempfile.tempdir = str(path)
    yield path
    tempfile.tempdir = saved_dir
    if saved_env is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = saved_env


@pytest.fixture(autouse=True)
def leaves_nothing(private_tmp: Path) -> Iterator[None]:
    """No test leaves a kubectl-mem or simulated-cluster temporary file or folder behind."""
    before = set(os.listdir(private_tmp))
    yield
    left = sorted(n for n in set(os.listdir(private_tmp)) - before if n.startswith(LEFTOVERS))
    assert not left, f"left in TMPDIR: {left}"


@pytest.fixture
def sim_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimFactory]:
    """Start simulated apiservers: factory(cluster=None, *, auth=None, faults=None, tls=True, ...).

    cluster=None uses the deterministic demo-sized scenario. Each server gets a kubeconfig with the admin
    token at `server.kubeconfig`; all servers stop at the end of the test."""
    servers: list[SimServer] = []

    def factory(
        cluster: Cluster | None = None,
        *,
        auth: Auth | None = None,
        faults: Faults | None = None,
        **kwargs: Any,
    ) -> SimServer:
        cluster = cluster if cluster is not None else generate(seed=7, nodes=6, pods=60, now=DEFAULT_NOW)
        srv = SimServer(cluster, auth=auth, faults=faults, **kwargs).start()
        servers.append(srv)
        tokenless = auth is not None and not auth.enabled
        srv.write_kubeconfig(
            tmp_path_factory.mktemp("kube") / "config", token=None if tokenless else "sim-admin-token"
        )
        return srv

    yield factory
    for srv in servers:
        srv.stop()


@pytest.fixture
def sim(sim_factory: SimFactory) -> SimServer:
    """A running simulated cluster (seed 7, 6 nodes, 60 pods, fixed time) with `sim.kubeconfig`."""
    return sim_factory()


@pytest.fixture
def kubectl(tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    """Run the real kubectl: kubectl(kubeconfig, *args, check=False) -> CompletedProcess (text).

    Discovery is cached in a per-test directory so one test's server never leaks into another's."""
    cache = tmp_path_factory.mktemp("kubectl-cache")

    def run(
        kubeconfig: str | Path, *args: str, check: bool = False, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        return subprocess.run(
            ["kubectl", "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache), *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
            env=env,
        )

    return run


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The real-binary tiers start processes that take seconds: they count as slow too."""
    for item in items:
        if any(item.get_closest_marker(m) for m in REAL_TIERS):
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """With CI=true a skipped test fails the run: CI must run everything, the real-binary tiers and
    the tests of a program a fresh machine may lack (tests/needs.py) alike."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"CI=true: this test must run, but it was skipped: {reason}"


@pytest.fixture(scope="session")
def envtest_assets() -> Path:
    """The folder with kube-apiserver, etcd (and kubelet): KUBEBUILDER_ASSETS or ../shared/envtest/'s
    archive unpacked into the cache; the test skips with how to provide them (fails with CI=true)."""
    try:
        return find_assets()
    except AssetsMissing as e:
        pytest.skip(str(e))


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory, envtest_assets: Path) -> Iterator[ControlPlane]:
    """A real etcd + kube-apiserver for the session (tests/envtest/controlplane.py): token users
    `admin` (system:masters), `viewer`, `limited`, `nobody` (no roles: bind what a test needs)."""
    # nodes/proxy dials only a node's Hostname address: the tier's nodes say `localhost` (a stand-in
    # kubelet, tests/apiserver/kubelet_server.py); never their InternalIPs, which are off-machine
    # addresses in the simulated scenario (10.0.0.0/8)
    cp = ControlPlane.start(
        tmp_path_factory.mktemp("apiserver"),
        assets=envtest_assets,
        extra_args=("--kubelet-preferred-address-types=Hostname",),
    )
    yield cp
    cp.stop()
