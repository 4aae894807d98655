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


def setup_logging(verbose: bool) -> None:
    """Quiet native logs unless ``verbose``; log warnings (or info when verbose) as one line."""
    import logging

    if not verbose:
        silence_native_stderr()
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s: %(message)s")
