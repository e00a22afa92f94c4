"""aggregator_client: a stdlib-only logging handler for the aggregator (see README.md)."""

from .handler import CLIENT, AggregatorHandler, __version__

__all__ = ["AggregatorHandler", "CLIENT", "__version__"]
