"""TLS material for the simulated apiserver.

kubectl (client-go's clientcmd) only sends a kubeconfig's credentials over https, so the simulator speaks
TLS to test authentication for real. These are throwaway, test-only certificates for 127.0.0.1/localhost
(valid until 2126), embedded as text so they ship inside the package. They protect nothing.
"""

from __future__ import annotations

import base64
import ssl
import tempfile
import threading
from pathlib import Path

__all__ = ["CA_PEM", "ca_data", "server_context"]

CA_PEM = """-----BEGIN CERTIFICATE-----
MIIBoTCCAUegAwIBAgIUPHld28sJ/TbCIg+01VGiXKQCvn8wCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSa3ViZWN0bC1tZW0tc2ltLWNhMCAXDTI2MTEyMjE1MjUwOVoY
DzIxMjYxMDI5MTUyNTA5WjAdMRswGQYDVQQDDBJrdWJlY3RsLW1lbS1zaW0tY2Ew
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATJwk6HJsbGdMbNdTBkycfwlH4rw+ZQ
J5Z1UaMd8PQZ09ji+k/mzuzU0u3xpzUKQkx5DKM0tfPOlZFYiJOfLeXio2MwYTAd
BgNVHQ4EFgQUi8c7SLFcK5Jh269mAnynKgHflxkwHwYDVR0jBBgwFoAUi8c7SLFc
K5Jh269mAnynKgHflxkwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYw
CgYIKoZIzj0EAwIDSAAwRQIgLZbmy2tPrQfaj8im6i8DN+xe/Tcb++6gRTfT+X21
RpUCIQCXQBtZ7NbthzFwh3vY/Pe5ovb+asqrM8zHhxUj5OfoQg==
-----END CERTIFICATE-----
"""

_CERT_PEM = """-----BEGIN CERTIFICATE-----
MIICBDCCAamgAwIBAgIUa7hKKYxitBfZC8qSDbJlbtJzJyYwCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSa3ViZWN0bC1tZW0tc2ltLWNhMCAXDTI2MTEyMjE1MjUwOVoY
DzIxMjYxMDI5MTUyNTA5WjAZMRcwFQYDVQQDDA5rdWJlLWFwaXNlcnZlcjBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABJeNMD/cUwF0r8ceGeUdK0rvHw7CN3PXBrrP
6ifpc6C0ZsvPU3R8ovlB6BmfDA9xaeNrIaUgIjfcSVflp/060CmjgcgwgcUwUAYD
VR0RBEkwR4cEfwAAAYcQAAAAAAAAAAAAAAAAAAAAAYIJbG9jYWxob3N0ggprdWJl
cm5ldGVzghZrdWJlcm5ldGVzLmRlZmF1bHQuc3ZjMAwGA1UdEwEB/wQCMAAwDgYD
VR0PAQH/BAQDAgWgMBMGA1UdJQQMMAoGCCsGAQUFBwMBMB0GA1UdDgQWBBRTnY3B
bFJ71zVU3sW1NsAMH99fVDAfBgNVHSMEGDAWgBSLxztIsVwrkmHbr2YCfKcqAd+X
GTAKBggqhkjOPQQDAgNJADBGAiEAp/ROo7dMYirJQ34ygaW27aKRs4sILlvlTfGy
mlbjeKICIQDvi7hEn73kWXC28swfq9AN18UP8qV+aFXpsbPNb9pofA==
-----END CERTIFICATE-----
"""

_KEY_PEM = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgt1XPi2HkLB46IQlY
cGNdyJHJXMoJ2qrxQwPztPBp1dChRANCAASXjTA/3FMBdK/HHhnlHStK7x8Owjdz
1wa6z+on6XOgtGbLz1N0fKL5QegZnwwPcWnjayGlICI33ElX5af9OtAp
-----END PRIVATE KEY-----
"""

_lock = threading.Lock()
_context: ssl.SSLContext | None = None


def ca_data() -> str:
    """certificate-authority-data for a kubeconfig."""
    return base64.b64encode(CA_PEM.encode()).decode()


def server_context() -> ssl.SSLContext:
    """The server's TLS context, made once per process. `ssl` loads a certificate chain only from
    files, so they are written to a private temporary folder that is removed as soon as they are
    loaded: nothing is left in /tmp, whatever happens to the process later."""
    global _context
    with _lock:
        if _context is None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            with tempfile.TemporaryDirectory(prefix="kubectl-mem-sim-tls-") as tmp:
                crt, key = Path(tmp) / "server.crt", Path(tmp) / "server.key"
                crt.write_text(_CERT_PEM + CA_PEM)
                key.touch(0o600)
                key.write_text(_KEY_PEM)
                ctx.load_cert_chain(crt, key)
            ctx.set_alpn_protocols(["http/1.1"])
            _context = ctx
        return _context
