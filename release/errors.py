"""The release kit's one error type: ``python -m release`` / ``verl-srpo release`` print it as one line."""


class ReleaseError(RuntimeError):
    """A release cannot go on; the message says what is wrong and what to do instead."""
