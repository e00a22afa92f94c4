"""granian with the app loaded before it forks its workers: `python -m aggregator.web` takes
granian's own options.

granian's workers are forked from its main process and each imports the app itself, ~80 MiB
of Django, the apps and their bytecode apiece. Imported here first (and frozen out of the
garbage collector's walks, aggregator/gc_tuning.py), those pages are shared by the workers
instead: the web server's PSS drops by about one worker's import (bench/README.md). Nothing
that start-up loads holds a connection or a thread: database connections are opened per
request, the queues reconnect after a fork (events/queue/), metrics re-key (aggregator/metrics.py).
"""

import sys

from granian.cli import cli

import aggregator.wsgi  # noqa: F401  (Django set up, the apps imported, frozen)

if __name__ == "__main__":
    # As the `granian` command does: its options can also come from GRANIAN_* variables.
    sys.exit(cli(auto_envvar_prefix="GRANIAN"))
