"""A simulated cluster with the collector pod lifecycle installed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from podsim_helpers import PodSim

from kubectl_mem.sim import SimServer
from kubectl_mem.sim.podlife import install


@pytest.fixture
def podsim(sim_factory: Callable[..., SimServer]) -> PodSim:
    srv = sim_factory()
    life = install(srv)
    life.step_s = 0.02
    node = "node-1"
    assert srv.kubeconfig is not None
    return PodSim(srv, life, srv.kubeconfig, node)
