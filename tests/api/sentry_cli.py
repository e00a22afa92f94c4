"""The real sentry-cli binary, from the npm registry's @sentry/cli-linux-x64 package,
installed once into the git-ignored .tools/ folder of the checkout."""

import platform
import shutil
import subprocess
from pathlib import Path

VERSION = "3.8.0"
ROOT = Path(__file__).resolve().parents[2]
PREFIX = ROOT / ".tools" / "sentry-cli"
BINARY = PREFIX / "node_modules" / "@sentry" / "cli-linux-x64" / "bin" / "sentry-cli"


def ensure_installed() -> tuple[Path | None, str]:
    """(path to the binary, "") or (None, why it could not be installed)."""
    if BINARY.exists():
        return BINARY, ""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        return None, "the @sentry/cli-linux-x64 package is for x86-64 Linux only"
    npm = shutil.which("npm")
    if npm is None:
        return None, "npm is not installed, so @sentry/cli-linux-x64 cannot be fetched"
    PREFIX.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(
        [npm, "install", "--prefix", str(PREFIX), "--no-save", "--no-audit", "--no-fund",
         f"@sentry/cli-linux-x64@{VERSION}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if run.returncode != 0 or not BINARY.exists():
        return None, f"npm install @sentry/cli-linux-x64 failed: {run.stderr[-500:]}"
    return BINARY, ""
