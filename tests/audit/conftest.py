"""Alice owns org A, bob is a member, charlie is in org B only."""

from tests.support.world import *  # noqa: F403 (fixtures)
