"""Garbage-collector settings for the long-running processes (web and worker).

A worker holds a batch of parsed events (hundreds of thousands of dicts and lists) while
it prepares them; with CPython's default thresholds the cyclic collector runs every 700
new containers and walks the growing batch each time, ~18 % of the preparation time
(bench/README.md). Nothing we build is cyclic, so collections can be rarer; freezing what
start-up loaded (Django, the apps) keeps it out of every full collection.
"""

import gc

GEN0_THRESHOLD = 50_000


def tune() -> None:
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, 20, 20)
