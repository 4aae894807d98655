"""Helpers shared by the command-line tools."""
from __future__ import annotations

import os
import sys


def silence_native_stderr() -> None:
    """Sends what native libraries (MediaPipe, TFLite) print on file descriptor 2 to /dev/null,
    while Python's ``sys.stderr`` (our errors, logging, tracebacks) keeps the real stderr."""
    try:
        real = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        sys.stderr = os.fdopen(real, "w", buffering=1)
    except OSError:
        pass


def setup_logging(verbose: bool, level: int | None = None, native: bool = False) -> None:
    """The one logging setup of every command-line tool: one line per record.

    Args:
        verbose: log one level more (INFO, or DEBUG where ``level`` is INFO already) and keep what
            native libraries print.
        level: what is logged otherwise (default: warnings; training tools report progress at INFO).
        native: keep native libraries' stderr (MediaPipe, TFLite) even when not verbose.
    """
    import logging

    level = logging.WARNING if level is None else level
    if not verbose and not native:
        silence_native_stderr()
    if verbose:
        level = logging.DEBUG if level <= logging.INFO else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s" if level <= logging.DEBUG
                        else "%(levelname)s: %(message)s")
