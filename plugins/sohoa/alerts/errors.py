"""Errors of alert channels: all are :class:`sohoa.errors.SohoaError`."""
from ..errors import SohoaError


class AlertError(SohoaError):
    """Base of every alert error."""


class AlertConfigError(AlertError):
    """``config/alerts.toml`` cannot be read or names an unknown setting; the message says which."""


class AlertDeliveryError(AlertError):
    """One or more alerts could not be delivered; the message lists each channel and why."""
