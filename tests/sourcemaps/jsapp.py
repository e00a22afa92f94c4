"""A small TypeScript app, bundled by the real esbuild, and the tools the source-map tests
drive: sentry-cli 2.x and 3.x, node. Everything comes from .venv/extra (./test.sh)."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.support.extra_packages import ESBUILD, SENTRY_CLI, SENTRY_CLI_2, require

MATH_TS = """\
export function divide(numerator: number, denominator: number): number {
  if (denominator === 0) {
    throw new Error(`cannot divide ${numerator} by zero`);
  }
  return numerator / denominator;
}
"""
CHECKOUT_TS = """\
import { divide } from "./math";

export class Checkout {
  total(items: number[], people: number): number {
    const sum = items.reduce((a, b) => a + b, 0);
    return divide(sum, people);
  }
}

export function splitBill(): number {
  return new Checkout().total([1, 2, 3], 0);
}
"""
NODE_MAIN_TS = """\
import { splitBill } from "./checkout";

try {
  splitBill();
} catch (error) {
  const stack = (error as Error).stack || "";
  process.stdout.write(stack);
}
"""
# The line of each function's throwing or calling statement in the sources above.
LINES = {"divide": ("src/math.ts", 3), "total": ("src/checkout.ts", 6),
         "splitBill": ("src/checkout.ts", 11)}  # fmt: skip


def ci_project(base_url: str, home: Path, *, username: str, slug: str, name: str,
               platform: str):  # fmt: skip
    """An owner's project in organization `acme` (no alert rules) and the environment a CI
    job gives sentry-cli for it: (project, env)."""
    from api.models import ApiToken
    from projects.models import Membership
    from tests.support.factories import (
        MembershipFactory,
        OrganizationFactory,
        ProjectFactory,
        UserFactory,
    )

    user = UserFactory(username=username)
    org = OrganizationFactory(slug="acme")
    MembershipFactory(user=user, organization=org, role=Membership.Role.OWNER)
    project = ProjectFactory(organization=org, slug=slug, name=name, platform=platform)
    project.alert_rules.all().delete()
    _row, token = ApiToken.issue(user, scopes=["read", "write"], name="ci")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "SENTRY_URL": base_url,
           "SENTRY_AUTH_TOKEN": token, "SENTRY_ORG": "acme", "SENTRY_PROJECT": slug,
           "SENTRY_DISABLE_UPDATE_CHECK": "1"}  # fmt: skip
    return project, env


def cli(major: int) -> Path:
    extra = SENTRY_CLI if major == 3 else SENTRY_CLI_2
    require(extra)
    return extra.module("@sentry/cli-linux-x64") / "bin" / "sentry-cli"


def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not installed")
    return found


def write_sources(root: Path, main: str = NODE_MAIN_TS) -> Path:
    src = root / "src"
    src.mkdir(parents=True, exist_ok=True)
    (src / "math.ts").write_text(MATH_TS)
    (src / "checkout.ts").write_text(CHECKOUT_TS)
    (src / "main.ts").write_text(main)
    return src


def esbuild(root: Path, *, out: str = "dist/app.js", variant: str = "minify",
            platform: str = "node", extra: tuple[str, ...] = ()) -> Path:  # fmt: skip
    """Bundle src/main.ts; `variant` "minify" mangles names, "plain" keeps them and starts
    with a banner (other names and columns for the same source)."""
    binary = require(ESBUILD) / "node_modules" / ".bin" / "esbuild"
    flags = ["--minify"] if variant == "minify" else [
        "--minify-whitespace", "--minify-syntax", "--banner:js=/* build two */ var __b=2;"]  # fmt: skip
    cmd = [str(binary), "src/main.ts", "--bundle", "--sourcemap", f"--platform={platform}",
           f"--outfile={out}", *flags, *extra]  # fmt: skip
    subprocess.run(cmd, cwd=root, check=True, capture_output=True, timeout=120)
    return root / out


def run_cli(binary: Path, env: dict, *args: str, cwd: Path, check: bool = True):
    done = subprocess.run([str(binary), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    if check:
        assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done


def debug_id(bundle: Path) -> str:
    match = re.search(r"//# debugId=([0-9a-f-]{36})", bundle.read_text())
    assert match, "sentry-cli inject wrote no debugId"
    return match.group(1)


_FRAME = re.compile(
    r"at (?:(?P<function>[^\s(]+) \()?(?P<file>[^\s()]+):(?P<line>\d+):(?P<col>\d+)\)?"
)


def node_stack(bundle: Path) -> list[dict]:
    """Run the bundle under node; its error's stack as Sentry frames (oldest first)."""
    done = subprocess.run([node(), str(bundle)], capture_output=True, text=True, timeout=60)
    frames = []
    for match in _FRAME.finditer(done.stdout):
        frame = {"filename": match["file"], "abs_path": match["file"],
                 "lineno": int(match["line"]), "colno": int(match["col"]), "in_app": True}  # fmt: skip
        if match["function"]:
            frame["function"] = match["function"]
        frames.append(frame)
    assert frames, done.stdout + done.stderr
    return frames[::-1]


def node_event(bundle: Path, *, debug_ids: dict[str, str] | None = None, release: str = "",
               dist: str = "") -> dict:  # fmt: skip
    event = {
        "event_id": uuid.uuid4().hex,
        "platform": "node",
        "level": "error",
        "exception": {"values": [{"type": "Error", "value": "cannot divide 6 by zero",
                                  "stacktrace": {"frames": node_stack(bundle)}}]},
    }  # fmt: skip
    if debug_ids:
        event["debug_meta"] = {"images": [{"type": "sourcemap", "code_file": f, "debug_id": d}
                                          for f, d in debug_ids.items()]}  # fmt: skip
    if release:
        event["release"] = release
    if dist:
        event["dist"] = dist
    return event


def app_frames(event_data: dict) -> list[dict]:
    frames = event_data["exception"]["values"][-1]["stacktrace"]["frames"]
    return [f for f in frames if f.get("in_app")]
