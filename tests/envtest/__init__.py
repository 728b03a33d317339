"""Real kube-apiserver + etcd on loopback for tests and benchmarks (see controlplane.py).

Tests get it as the session fixture `control_plane` (tests/conftest.py, marker `apiserver`);
benchmarks put the repository's `tests/` folder on sys.path and `import envtest`.
"""

from .assets import AssetsMissing, cache_dir, find_assets
from .controlplane import ADMIN, ControlPlane, ControlPlaneError, free_port
from .pki import KeyPair

__all__ = [
    "ADMIN",
    "AssetsMissing",
    "ControlPlane",
    "ControlPlaneError",
    "KeyPair",
    "cache_dir",
    "find_assets",
    "free_port",
]
