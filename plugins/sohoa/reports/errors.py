"""Errors of the reports: all are :class:`sohoa.errors.SohoaError`."""
from ..errors import SohoaError


class ReportError(SohoaError):
    """A report could not be built or stored; the message names the agency, year or object key."""
