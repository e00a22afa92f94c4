from tests.support.world import *  # noqa: F403  alice, bob, charlie, org_a, project, store
