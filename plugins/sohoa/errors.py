"""The one exception hierarchy of the sohoa package."""


class SohoaError(Exception):
    """Base of every error sohoa raises on purpose."""


class ConfigError(SohoaError):
    """A setting is missing or wrong; the message names it."""


class StackError(SohoaError):
    """A local-stack service could not be started, stopped or reached; the message says which and why."""
