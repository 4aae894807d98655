"""The one error type a user sees: a clear one-line message, never a traceback."""


class MirrorError(Exception):
    """A user-facing failure (bad file, bad option, no camera). Its message is one line."""
