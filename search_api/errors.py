"""Errors raised while answering; each maps to one HTTP status at the API's edge."""

from pathlib import Path

from indexer.errors import DebateSearchError, IndexNotFound
from indexer.pipeline.background import BuildProgress


class InvalidRequest(DebateSearchError):
    """A parameter a caller gave is out of range or not understood (HTTP 400)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class UnknownContribution(DebateSearchError):
    """No contribution with that id in the index (HTTP 404)."""

    def __init__(self, contribution_id: str, debate_id: str | None = None):
        where = f"debate {debate_id!r}" if debate_id else "this index"
        super().__init__(f"no contribution with id {contribution_id!r} in {where}")
        self.contribution_id = contribution_id


class UnknownDebate(DebateSearchError):
    """No debate with that id in the index (HTTP 404)."""

    def __init__(self, debate_id: str):
        super().__init__(f"no debate with id {debate_id!r} in this index (a debate's id is "
                         "its contributions' debate.id)")
        self.debate_id = debate_id


class EvaluationError(DebateSearchError):
    """A query set, judgement file or evaluation configuration that cannot be used."""


class IndexBuilding(IndexNotFound):
    """No build to serve yet: the server is building the index (HTTP 503; ask again)."""

    def __init__(self, index_dir: Path, progress: BuildProgress | None):
        so_far = f" ({progress.done} of {progress.total} files so far)" if progress else ""
        super().__init__(f"the index at {index_dir} is being built{so_far}; searches are "
                         "answered as soon as its first files are in")
