"""Exceptions the library raises; the CLI and the API translate them for people."""


class DebateSearchError(Exception):
    """Base class: a problem a user can fix, with a message that says how."""


class CorpusError(DebateSearchError):
    """A corpus manifest or source path is missing, unreadable or invalid."""


class IndexNotFound(DebateSearchError):
    """No built index where one was expected."""


class IndexFormatError(DebateSearchError):
    """An index on disk that this version cannot read."""


class EmbedderError(DebateSearchError):
    """The embedding model cannot be loaded or does not fit the index."""


class UpdateError(DebateSearchError):
    """An update an index cannot take as asked (it would lose what it holds)."""


class VectorCacheError(DebateSearchError):
    """The machine's vector cache (store/vector_cache.py) cannot be read or written."""


class IndexDamaged(IndexFormatError):
    """A build whose files differ from those its manifest records, or whose parts disagree."""


class SyncError(DebateSearchError):
    """A folder cannot be synced at all: its listing cannot be read, or its target is busy."""
