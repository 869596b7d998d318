"""Errors of the capacity and cost model: all are :class:`sohoa.errors.SohoaError` (the CLI exits 2)."""
from ..errors import SohoaError


class CapacityError(SohoaError):
    """Base of every capacity-model error."""


class CapacityConfigError(CapacityError):
    """A model parameter is missing or impossible (zero throughput, utilisation above 1…); names the key."""


class BacklogError(CapacityError):
    """A backlog file or row is unusable (missing column, negative value, unknown phase…); names file and row."""

