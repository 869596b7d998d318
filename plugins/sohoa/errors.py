"""The one exception hierarchy of the sohoa package, and the error types of its top-level modules.

Each subpackage keeps its own error types in one place (``errors.py`` or its ``__init__``), all below
:class:`SohoaError`.
"""


class SohoaError(Exception):
    """Base of every error sohoa raises on purpose."""


class StorageError(SohoaError):
    """An S3 operation failed in a way the caller must act on; the message names bucket and key."""


class ChecksumMismatch(StorageError):
    """Bytes read back from S3 do not hash to what was written."""


class SourceChanged(ChecksumMismatch):
    """The source of a copy no longer hashes to the digest it was validated with (someone replaced it)."""


class SearchError(SohoaError):
    """A query that cannot be run; the message is shown to the user (Vietnamese)."""


class AirflowApiError(SohoaError):
    """The Airflow API refused a request or a run did not finish in time."""


class DemoError(SohoaError):
    """The demo could not finish; the message says which step and where to look."""


class StackError(SohoaError):
    """A local-stack service could not be started, stopped or reached; the message says which and why."""
