"""A real OpenID Connect provider on localhost for the single sign-on tests: the npm package
oidc-provider (installed by extra_packages.py) run by node with tests/support/oidc_provider.mjs.
Its sign-in page takes any password; the login name picks the account, whose claims the
test gives."""

from __future__ import annotations

import json
import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import extra_packages
from tests.support.stack import ROOT, free_port

SCRIPT = ROOT / "tests" / "support" / "oidc_provider.mjs"
CLIENT_ID = "aggregator-tests"
CLIENT_SECRET = "tests-only-client-secret"


@dataclass
class Provider:
    issuer: str
    port: int

    def app_env(self, name: str = "Test IdP") -> dict[str, str]:
        """The environment that points the app at this provider."""
        return {"OIDC_ISSUER": self.issuer, "OIDC_CLIENT_ID": CLIENT_ID,
                "OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_NAME": name}  # fmt: skip


def reserve() -> Provider:
    """A port and issuer URL, known before the app starts (the app fetches the discovery
    document only when someone signs in, so the provider may start after it)."""
    port = free_port()
    return Provider(issuer=f"http://127.0.0.1:{port}", port=port)


@contextmanager
def running(provider: Provider, *, redirect_uri: str, accounts: dict, logs: Path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    package = extra_packages.require(extra_packages.OIDC_PROVIDER) / "node_modules/oidc-provider"
    config = logs / "oidc-provider.json"
    config.write_text(json.dumps({
        "port": provider.port, "issuer": provider.issuer, "accounts": accounts,
        "client": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                   "redirect_uris": [redirect_uri]},
    }))  # fmt: skip
    log = open(logs / "oidc-provider.log", "w+b")
    proc = subprocess.Popen([node, str(SCRIPT), str(config), str(package)], stdout=subprocess.PIPE,
                            stderr=log)  # fmt: skip
    try:
        line = b"-"
        while line and b"listening" not in line:  # nothing: node exited
            line = proc.stdout.readline()
        if not line:
            log.seek(0)
            raise RuntimeError(f"oidc-provider did not start: {log.read().decode()[-2000:]}")
        yield provider
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
