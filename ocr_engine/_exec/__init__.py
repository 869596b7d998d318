"""Thin wrappers around the external programs ocr_engine runs, one module per program.

:func:`run` is the only place a child process is started; it turns every way a child can
go wrong (missing, crashed, killed, hung) into an :class:`~ocr_engine.errors.OcrEngineError`.
"""
from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence

from ..errors import EngineError, EngineTimeout, EngineUnavailable


def run(args: Sequence[str], *, what: str, timeout: float, stdin: bytes | None = None,
        env: Mapping[str, str] | None = None) -> bytes:
    """Run *args*, feed *stdin*, return stdout bytes.

    *what* names the page or job in error messages. Raises EngineUnavailable when the
    program is missing, EngineTimeout after *timeout* seconds (the child is killed),
    EngineError on a non-zero exit or death by signal (SIGKILL is reported as a likely
    out-of-memory kill) with the tail of stderr.
    """
    full_env = {**os.environ, **(env or {})}
    try:
        proc = subprocess.run(list(args), input=stdin, capture_output=True, timeout=timeout,
                              env=full_env, check=False)
    except FileNotFoundError as exc:
        raise EngineUnavailable(f"{args[0]}: program not found (is it installed?)") from exc
    except subprocess.TimeoutExpired as exc:
        raise EngineTimeout(f"{what}: {os.path.basename(args[0])} did not finish within "
                            f"{timeout:g} s and was killed") from exc
    if proc.returncode < 0:
        sig = signal.Signals(-proc.returncode).name
        hint = " (out of memory?)" if proc.returncode == -signal.SIGKILL else ""
        raise EngineError(f"{what}: {os.path.basename(args[0])} killed by {sig}{hint}")
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip()[-500:]
        raise EngineError(f"{what}: {os.path.basename(args[0])} exited with status "
                          f"{proc.returncode}: {tail}")
    return proc.stdout


def decode_utf8(data: bytes, *, what: str) -> str:
    """Decode program output strictly; invalid UTF-8 raises EngineError naming the offset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EngineError(f"{what}: output is not valid UTF-8 (byte {exc.start}: "
                          f"{data[exc.start:exc.start + 4]!r})") from exc
