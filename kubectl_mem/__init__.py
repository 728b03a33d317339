"""kubectl-mem: where Kubernetes memory goes and what will be killed next."""

__version__ = "0.1.0"
