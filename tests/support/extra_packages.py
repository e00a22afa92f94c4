"""Client packages and tools the tests drive: Python packages (raven, pybrake, sentry-sdk
1.x, our own client) and npm packages (sentry-cli 3 and 2, esbuild, @sentry/browser and
@sentry/node, oidc-provider).

./test.sh runs this file (stdlib only) before pytest; tests import it to find the folders.
Each entry goes to .venv/extra/<name>/ once (`pip install --target`, `npm install --prefix`):
a marker file written when the install is whole says it is ready, so a cached run costs a
few file reads. Tests never install or download anything: without the marker they skip,
naming ./test.sh. An unreachable index or registry (or no npm) is a warning here, not a
failure. Another package is one more line below, added to ALL.
"""

from __future__ import annotations

import hashlib
import os
import platform
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


class Prepared:
    """The marker scheme; subclasses say what goes into the folder and how."""

    name: str  # the folder under .venv/extra

    @property
    def path(self) -> Path:
        return EXTRA / self.name

    def fingerprint(self) -> str:
        raise NotImplementedError

    def prepared(self) -> bool:
        try:
            return (self.path / MARKER).read_text() == self.fingerprint()
        except OSError:
            return False

    def unsupported(self) -> str:
        """Why this machine cannot run it, or ""."""
        return ""

    def build(self, scratch: Path, target: Path) -> None:
        """Install into `target` (not there yet); `scratch` is a folder for anything else."""
        raise NotImplementedError


@dataclass(frozen=True)
class Extra(Prepared):
    """Python packages, for sys.path."""

    name: str
    requirements: tuple[str, ...]
    deps: bool = False  # False: --no-deps (the package needs nothing, or the test wants it alone)
    local: Path | None = None  # a source tree of this repository, rebuilt when it changes

    def fingerprint(self) -> str:
        """What the marker must hold: the pip arguments, and for a local tree its content."""
        digest = hashlib.sha256(repr((self.requirements, self.deps)).encode())
        for file in source_files(self.local) if self.local else ():
            digest.update(str(file.relative_to(self.local)).encode() + b"\0" + file.read_bytes())
        return digest.hexdigest()

    def build(self, scratch: Path, target: Path) -> None:
        requirements = list(self.requirements)
        if self.local is not None:  # a copy: the build leaves build/ and *.egg-info behind
            source = scratch / "src"
            shutil.copytree(self.local, source, ignore=CLIENT_SKIP)
            requirements.append(str(source))
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--target", str(target)]  # fmt: skip
        if not self.deps:
            cmd.append("--no-deps")
        # In the environment, so the pip that fetches build dependencies gives up early too.
        env = {**os.environ, "PIP_RETRIES": "1", "PIP_DEFAULT_TIMEOUT": "30"}
        subprocess.run(cmd + requirements, check=True, timeout=600, env=env)


LINUX_X64 = ("Linux", ("x86_64", "AMD64"))


def npm_name(spec: str) -> str:
    """The package name of a spec: @sentry/cli-linux-x64@3.8.0 -> @sentry/cli-linux-x64."""
    return spec.rpartition("@")[0] or spec


@dataclass(frozen=True)
class NpmExtra(Prepared):
    """npm packages, with their dependencies, in <path>/node_modules."""

    name: str
    packages: tuple[str, ...]  # exact specs: "@sentry/cli-linux-x64@3.8.0"
    runs_on: tuple[str, tuple[str, ...]] | None = None  # (system, machines), if not anywhere

    def module(self, package: str) -> Path:
        """Where `package` (its name, no version) is installed."""
        return self.path / "node_modules" / package

    def fingerprint(self) -> str:
        return hashlib.sha256(repr(("npm", self.packages)).encode()).hexdigest()

    def unsupported(self) -> str:
        if self.runs_on is None:
            return ""
        system, machines = self.runs_on
        if platform.system() == system and platform.machine() in machines:
            return ""
        return f"{', '.join(self.packages)} is built for {system} {machines[0]} only"

    def build(self, scratch: Path, target: Path) -> None:
        npm = shutil.which("npm")
        if npm is None:
            raise FileNotFoundError("npm is not installed")
        target.mkdir()
        # --prefer-offline: a package in npm's cache needs no registry; one retry and a 30 s
        # timeout, so an unreachable registry is a quick warning rather than a long wait.
        cmd = [npm, "install", "--prefix", str(target), "--no-save", "--no-audit", "--no-fund",
               "--no-package-lock", "--prefer-offline", "--fetch-retries=1",
               "--fetch-timeout=30000", "--loglevel=error", *self.packages]  # fmt: skip
        subprocess.run(cmd, check=True, timeout=600, cwd=scratch)
        for spec in self.packages:
            if not (target / "node_modules" / npm_name(spec)).is_dir():
                raise FileNotFoundError(f"npm did not install {spec}")


RAVEN_HTTP = Extra("raven-6.10.0", ("raven==6.10.0",))
RAVEN_UDP = Extra("raven-5.2.0", ("raven==5.2.0",))  # the last raven with the UDP transport
PYBRAKE = Extra("pybrake-1.10.1", ("pybrake==1.10.1",), deps=True)
# sentry-sdk 1.x posts errors to /store/; urllib3 1.x is what it was released against.
SENTRY_SDK_1 = Extra("sentry-sdk-1.45.1", ("sentry-sdk==1.45.1", "urllib3<2", "certifi"), deps=True)
# Our own client, installed by pip as a user would (the test checks the installed copy).
CLIENT = Extra("aggregator-client", (), local=CLIENT_SOURCE)
# The sentry-cli binary (tests/api/sentry_cli.py); the package holds nothing but it.
SENTRY_CLI = NpmExtra("sentry-cli-3.8.0", ("@sentry/cli-linux-x64@3.8.0",), runs_on=LINUX_X64)
SENTRY_CLI_2 = NpmExtra("sentry-cli-2.58.6", ("@sentry/cli-linux-x64@2.58.6",), runs_on=LINUX_X64)
# A real front-end build (tests/sourcemaps): esbuild bundles TypeScript, the SDKs report.
ESBUILD = NpmExtra("esbuild-0.28.2", ("esbuild@0.28.2",), runs_on=LINUX_X64)
SENTRY_BROWSER = NpmExtra("sentry-browser-11.17.0", ("@sentry/browser@11.17.0",))
SENTRY_NODE = NpmExtra("sentry-node-11.12.0", ("@sentry/node@11.12.0",))
# A real OpenID Connect provider for the single sign-on tests (tests/support/oidc_provider.mjs).
OIDC_PROVIDER = NpmExtra("oidc-provider-9.13.3", ("oidc-provider@9.13.3",))
ALL = (RAVEN_HTTP, RAVEN_UDP, PYBRAKE, SENTRY_SDK_1, CLIENT, SENTRY_CLI, SENTRY_CLI_2, ESBUILD,
       SENTRY_BROWSER, SENTRY_NODE, OIDC_PROVIDER)  # fmt: skip


def require(extra: Prepared) -> Path:
    """The prepared folder, or skip the calling test with the command that prepares it."""
    if extra.prepared():
        return extra.path
    import pytest

    if why := extra.unsupported():
        pytest.skip(why)
    pytest.skip(
        f"{extra.name} not prepared in {extra.path}: run ./test.sh (it installs the packages "
        "the tests drive into .venv/extra; see tests/support/extra_packages.py)"
    )


def install(extra: Prepared) -> None:
    """Install into a scratch folder beside the target, then move it into place."""
    EXTRA.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{extra.name}-", dir=EXTRA) as scratch:
        target = Path(scratch) / "site"
        extra.build(Path(scratch), target)
        (target / MARKER).write_text(extra.fingerprint())
        shutil.rmtree(extra.path, ignore_errors=True)
        target.rename(extra.path)


def main() -> int:
    missing = [extra for extra in ALL if not extra.prepared()]
    for extra in missing:
        if why := extra.unsupported():
            print(f"not preparing {extra.name}: {why}", file=sys.stderr)
            continue
        print(f"preparing {extra.name} in {extra.path}", file=sys.stderr)
        try:
            install(extra)
        except (subprocess.SubprocessError, OSError) as exc:
            print(f"WARNING: could not prepare {extra.name} ({exc}); the tests that drive it "
                  "will skip", file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
