"""Errors of milestones, alerts and progress: all are :class:`sohoa.errors.SohoaError`."""
from ..errors import SohoaError


class MilestoneError(SohoaError):
    """Base of every milestone error."""


class MilestoneConfigError(MilestoneError):
    """A milestone definition is invalid; the message names the milestone and the field."""


class CatalogueQueryError(MilestoneError):
    """A catalogue query for a milestone failed; the message names the milestone and the query."""


class AlertDeliveryError(MilestoneError):
    """One or more alerts could not be delivered; the message lists each channel and why."""
