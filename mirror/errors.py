"""The one error type a user sees: a clear one-line message, never a traceback."""


class MirrorError(Exception):
    """A user-facing failure (bad file, bad option, no camera). Its message is one line."""


class BrokenModel(MirrorError):
    """A model file that is there but unusable (damaged, or from another model): the backend
    factory reports it rather than falling back to another backend."""
