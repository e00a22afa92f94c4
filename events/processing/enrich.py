"""Steps other apps add to the worker's prepare, per platform, so `events` never names them.

An app registers a function in its AppConfig.ready(); `prepare` calls it with the normalized
event and the project id, before scrubbing, trimming and grouping (so grouping sees what
the step changed). Events of platforms nobody registered for pay one dict lookup. The
sourcemaps app maps JavaScript and Node frames this way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

Step = Callable[[dict, int], dict]  # (event, project_id) -> event
_steps: dict[str, list[Step]] = {}
log = logging.getLogger(__name__)


def register(platforms: Iterable[str], step: Step) -> None:
    for platform in platforms:
        steps = _steps.setdefault(platform, [])
        if step not in steps:  # ready() may run twice in tests
            steps.append(step)


def run(event: dict, project_id: int) -> dict:
    steps = _steps.get(event.get("platform"))
    if steps is None:
        return event
    for step in steps:
        try:
            event = step(event, project_id)
        except Exception:  # a step's bug must not lose the event: it is stored as it came
            log.exception("enrich step %s failed; the event is stored without it", step)
    return event
