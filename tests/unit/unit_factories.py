"""Small builders for model records, so tables in the tests stay one line per case."""

from __future__ import annotations

from kubectl_mem.model.quantity import cpu_millis, memory_bytes
from kubectl_mem.model.records import ContainerSpec, ContainerStatus, Pod, Resources, Termination


def res(
    cpu_req: str = "",
    mem_req: str = "",
    cpu_lim: str = "",
    mem_lim: str = "",
    *,
    any_set: bool | None = None,
) -> Resources:
    """Resources from quantity strings; "" means absent (like upstream's getResourceList)."""
    r = Resources(
        memory_request=memory_bytes(mem_req) if mem_req else None,
        memory_limit=memory_bytes(mem_lim) if mem_lim else None,
        cpu_request_m=cpu_millis(cpu_req) if cpu_req else None,
        cpu_limit_m=cpu_millis(cpu_lim) if cpu_lim else None,
        any_set=bool(cpu_req or mem_req or cpu_lim or mem_lim) if any_set is None else any_set,
    )
    return r


def ctr(name: str = "app", resources: Resources | None = None, kind: str = "regular") -> ContainerSpec:
    return ContainerSpec(name=name, kind=kind, resources=resources or Resources())  # type: ignore[arg-type]


def mem(request: str = "", limit: str = "") -> Resources:
    return res(mem_req=request, mem_lim=limit)


def pod(
    name: str = "p",
    *containers: ContainerSpec,
    namespace: str = "default",
    node: str = "node-1",
    phase: str = "Running",
    pod_resources: Resources | None = None,
    **kw,
) -> Pod:
    return Pod(
        namespace=namespace,
        name=name,
        uid=f"uid-{namespace}-{name}",
        node=node,
        phase=phase,
        containers=containers or (ctr(),),
        pod_resources=pod_resources,
        **kw,
    )


def term(reason: str = "", exit_code: int = 0, finished_at: str | None = None, **kw) -> Termination:
    return Termination(reason=reason, exit_code=exit_code, finished_at=finished_at, **kw)


def status(name: str = "app", **kw) -> ContainerStatus:
    return ContainerStatus(name=name, **kw)
