"""Alice owns org A and its project Backend, bob is a member, charlie is in org B only."""

from tests.support.world import *  # noqa: F403 (fixtures)
