"""Ingest first: a worker may run at a lower CPU priority than the web processes.

On a small box a burst of events then goes to the edge, which only queues them, and the
worker catches up when the burst is over (the backlog bound keeps ingest from starving it
for good). Linux groups processes by session for scheduling ("autogroups", on by default),
and a nice value only weighs against processes of the same session: a worker that leads
its own session (honcho, containers, bench/run.py) sets its session's nice as well.
Under systemd or Docker the service's cgroup decides instead (CPUWeight, --cpu-shares).
"""

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def lower(nice: int) -> None:
    if nice <= 0:
        return
    os.nice(nice)
    if os.getsid(0) != os.getpid():
        return  # the session may hold the web server too: leave its weight alone
    try:
        Path("/proc/self/autogroup").write_text(str(nice))
    except OSError:  # no autogroups here (another OS, or a kernel without them)
        log.info("no autogroup to lower; the process nice value applies")
