"""Alice owns org A and its project Backend, bob is a member, charlie is in org B only (he
must never see A's data)."""

from tests.support.world import (  # noqa: F401  (fixtures)
    _fast_passwords,
    alice,
    bob,
    charlie,
    org_a,
    project,
    store_events,
)
