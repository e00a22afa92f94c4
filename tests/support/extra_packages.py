"""Client packages the tests drive (raven, pybrake, sentry-sdk 1.x, our own client).

./test.sh runs this file (stdlib only) before pytest; tests import it to find the folders.
Each package goes to .venv/extra/<name>/ with `pip install --target`, once: a marker file
written when the install is whole says it is ready, so a cached run costs a few file reads.
Tests never pip-install: without the marker they skip, naming ./test.sh. An unreachable
index is a warning here, not a failure.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXTRA = Path(sys.prefix) / "extra"  # sys.prefix: the venv test.sh and pytest both run in
MARKER = ".prepared"
CLIENT_SOURCE = ROOT / "client"
CLIENT_SKIP = shutil.ignore_patterns(".*", "build", "*.egg-info", "__pycache__")  # not sources


def source_files(tree: Path) -> list[Path]:
    """The files a build of `tree` reads: not what an earlier build or import left there."""
    files = []
    for file in sorted(tree.rglob("*")):
        parts = file.relative_to(tree).parts
        if file.is_file() and not CLIENT_SKIP(str(file.parent), parts):
            files.append(file)
    return files


@dataclass(frozen=True)
class Extra:
    name: str  # the folder under .venv/extra
    requirements: tuple[str, ...]
    deps: bool = False  # False: --no-deps (the package needs nothing, or the test wants it alone)
    local: Path | None = None  # a source tree of this repository, rebuilt when it changes

    @property
    def path(self) -> Path:
        return EXTRA / self.name

    def fingerprint(self) -> str:
        """What the marker must hold: the pip arguments, and for a local tree its content."""
        digest = hashlib.sha256(repr((self.requirements, self.deps)).encode())
        for file in source_files(self.local) if self.local else ():
            digest.update(str(file.relative_to(self.local)).encode() + b"\0" + file.read_bytes())
        return digest.hexdigest()

    def prepared(self) -> bool:
        try:
            return (self.path / MARKER).read_text() == self.fingerprint()
        except OSError:
            return False


RAVEN_HTTP = Extra("raven-6.10.0", ("raven==6.10.0",))
RAVEN_UDP = Extra("raven-5.2.0", ("raven==5.2.0",))  # the last raven with the UDP transport
PYBRAKE = Extra("pybrake-1.10.1", ("pybrake==1.10.1",), deps=True)
# sentry-sdk 1.x posts errors to /store/; urllib3 1.x is what it was released against.
SENTRY_SDK_1 = Extra("sentry-sdk-1.45.1", ("sentry-sdk==1.45.1", "urllib3<2", "certifi"), deps=True)
# Our own client, installed by pip as a user would (the test checks the installed copy).
CLIENT = Extra("aggregator-client", (), local=CLIENT_SOURCE)
ALL = (RAVEN_HTTP, RAVEN_UDP, PYBRAKE, SENTRY_SDK_1, CLIENT)


def require(extra: Extra) -> Path:
    """The prepared folder, or skip the calling test with the command that prepares it."""
    if extra.prepared():
        return extra.path
    import pytest

    pytest.skip(
        f"{extra.name} not prepared in {extra.path}: run ./test.sh (it installs the client "
        "packages the tests drive into .venv/extra; see tests/support/extra_packages.py)"
    )


def install(extra: Extra) -> None:
    """pip install into a scratch folder beside the target, then move it into place."""
    EXTRA.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{extra.name}-", dir=EXTRA) as scratch:
        target = Path(scratch) / "site"
        requirements = list(extra.requirements)
        if extra.local is not None:  # a copy: the build leaves build/ and *.egg-info behind
            source = Path(scratch) / "src"
            shutil.copytree(extra.local, source, ignore=CLIENT_SKIP)
            requirements.append(str(source))
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--target", str(target)]  # fmt: skip
        if not extra.deps:
            cmd.append("--no-deps")
        # In the environment, so the pip that fetches build dependencies gives up early too.
        env = {**os.environ, "PIP_RETRIES": "1", "PIP_DEFAULT_TIMEOUT": "30"}
        subprocess.run(cmd + requirements, check=True, timeout=600, env=env)
        (target / MARKER).write_text(extra.fingerprint())
        shutil.rmtree(extra.path, ignore_errors=True)
        target.rename(extra.path)


def main() -> int:
    missing = [extra for extra in ALL if not extra.prepared()]
    for extra in missing:
        print(f"preparing {extra.name} in {extra.path}", file=sys.stderr)
        try:
            install(extra)
        except (subprocess.SubprocessError, OSError) as exc:
            print(f"WARNING: could not prepare {extra.name} ({exc}); the tests that drive it "
                  "will skip", file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
