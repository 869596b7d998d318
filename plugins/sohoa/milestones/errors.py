"""Errors of milestones and progress: all are :class:`sohoa.errors.SohoaError`.

A failed catalogue query is :class:`sohoa.catalogue.db.CatalogueQueryError`; an alert not delivered is
:class:`sohoa.alerts.errors.AlertDeliveryError`.
"""
from ..errors import SohoaError


class MilestoneError(SohoaError):
    """Base of every milestone error."""


class MilestoneConfigError(MilestoneError):
    """A milestone definition is invalid; the message names the milestone and the field."""
