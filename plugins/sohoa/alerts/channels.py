"""Which alert channels are on, read once from ``config/alerts.toml`` (see the comments in that file)."""
from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..config import REPO_ROOT
from .errors import AlertConfigError

DEFAULT_PATH = REPO_ROOT / "config" / "alerts.toml"


@dataclass(frozen=True)
class ChannelSettings:
    """The channels: a connection id left empty turns its channel off."""

    email_conn_id: str = ""
    email_to: tuple[str, ...] = ()
    webhook_conn_id: str = ""
    timeout_seconds: float = 10.0


def read_channel_settings(path: Path) -> ChannelSettings:
    """The ``[channels]`` table of the file at ``path``."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AlertConfigError(f"cannot read alert configuration {path}: {exc}") from exc
    raw = dict(doc.get("channels", {}))
    raw["email_to"] = tuple(raw.get("email_to", ()))
    try:
        return ChannelSettings(**raw)
    except TypeError as exc:
        raise AlertConfigError(f"{path} [channels]: {exc}") from exc


@functools.cache
def channel_settings() -> ChannelSettings:
    """The project's alert channels (``config/alerts.toml``), read once."""
    return read_channel_settings(DEFAULT_PATH)


def configured_channels() -> list:
    """The notifiers of the channels that are on (:func:`sohoa.alerts.notifiers.channels_from_settings`)."""
    from .notifiers import channels_from_settings

    return channels_from_settings(channel_settings())
