"""The one exception a model server's refusal becomes."""


class ServingError(RuntimeError):
    """A model server (or a loaded SavedModel) refused or failed a request.

    Raised for a `{"error": ...}` REST answer, a gRPC status other than OK,
    an unreachable server, or an error from running a signature. Inputs
    that break the signature's contract are caught before sending and
    raise `ValueError` instead.

    Args:
        message: str. What went wrong, with the server's own words.
        code: int, str or None. The HTTP status (e.g. `400`) or the gRPC
            status name (e.g. `"INVALID_ARGUMENT"`), when there is one.

    Example:
    >>> err = ServingError("Servable not found", code=404)
    >>> str(err), err.code
    ('Servable not found', 404)
    """

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code
