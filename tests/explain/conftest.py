"""A simulated cluster per test, and a way to run `kubectl mem explain` against it.

The fixture is `explain_sim`, so the shared `sim` fixture of tests/conftest.py is not shadowed."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kubectl_mem.cli.env import Env
from kubectl_mem.cli.run import main
from kubectl_mem.sim import Cluster, Faults, make_node, start

MI = 1 << 20
GI = 1 << 30


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def flat(self) -> str:
        """The output with wrapping undone, for checking sentences."""
        return " ".join(self.out.split())


@dataclass
class Sim:
    cluster: Cluster
    now: datetime
    tmp: Path
    faults: Faults

    def node(self, name: str = "node-1", memory: str = "8Gi", working_set: int = 6 * GI, **kw) -> None:
        self.cluster.add_node(make_node(name, memory=memory, now=self.now, **kw))
        self.cluster.set_node_usage(name, working_set)

    def run(self, *args: str, columns: int = 100) -> Run:
        with start(self.cluster, faults=self.faults) as srv:
            kubeconfig = srv.write_kubeconfig(self.tmp / "kubeconfig", namespace="shop")
            out, err = io.StringIO(), io.StringIO()
            env = Env(stdout=out, stderr=err, stdout_isatty=False, environ={"COLUMNS": str(columns)})
            code = main(["explain", *args, "--kubeconfig", str(kubeconfig)], env)
        return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture
def explain_sim(tmp_path: Path) -> Iterator[Callable[..., Sim]]:
    def make(*, metrics: str = "available") -> Sim:
        now = datetime.now(UTC).replace(microsecond=0)
        return Sim(Cluster(now=now), now, tmp_path, Faults(metrics=metrics))  # type: ignore[arg-type]

    yield make
