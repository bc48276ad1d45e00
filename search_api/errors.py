"""Errors raised while answering; each maps to one HTTP status at the API's edge."""

from indexer.errors import DebateSearchError


class InvalidRequest(DebateSearchError):
    """A parameter a caller gave is out of range or not understood (HTTP 400)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class UnknownContribution(DebateSearchError):
    """No contribution with that id in the index (HTTP 404)."""

    def __init__(self, contribution_id: str):
        super().__init__(f"no contribution with id {contribution_id!r} in this index")
        self.contribution_id = contribution_id


class EvaluationError(DebateSearchError):
    """A query set, judgement file or evaluation configuration that cannot be used."""
