"""The one error tree: every error kefu raises on purpose is a KefuError of one kind.

    NotFound      a knowledge base, version, ticket, run... that does not exist
    InvalidInput  a request, file or setting that cannot be used as given
    Conflict      the current state forbids it (a name taken, a ticket another agent holds)
    Unavailable   something needed is not there right now (a model, a service, an eval arm)
    KefuError     itself: the operation ran and failed

Components raise their own subclasses (which keep their old builtin bases, e.g. LookupError, so
callers catching those still work); the API (api.errors) and the CLI (api.cli.exits) turn the
kind into a status code or an exit code, each in one place. It lives in ingest, the bottom
layer, so every package can use it.
"""

from __future__ import annotations


class KefuError(Exception):
    """An error kefu raises on purpose; its message is shown to the user as is."""


class NotFound(KefuError):
    pass


class InvalidInput(KefuError):
    pass


class Conflict(KefuError):
    pass


class Unavailable(KefuError):
    pass


KINDS: tuple[type[KefuError], ...] = (NotFound, InvalidInput, Conflict, Unavailable, KefuError)


def kind_of(error: KefuError | type[KefuError]) -> type[KefuError]:
    """The error's kind: the first kind in its class's method resolution order, so a class's own
    first base decides (DatasetNotFound(NotFound, DatasetError) is NotFound, not InvalidInput)."""
    cls = error if isinstance(error, type) else type(error)
    return next(base for base in cls.__mro__ if base in KINDS)
