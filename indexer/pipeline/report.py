"""What a build did: the report `debate-search index` prints and benchmarks read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class BuildReport:
    """What a build did, for people and for benchmarks."""

    index_dir: str
    up_to_date: bool = False
    contributions: int = 0
    chunks: int = 0
    embedded: int = 0  # distinct texts whose vectors were computed: embedded_by_kind's sum
    # By kind of text. A build embeds chunks only: the sentences answers quote are embedded
    # when an answer first needs them (search_api/engine/sentence_vectors.py).
    embedded_by_kind: dict[str, int] = field(
        default_factory=lambda: {"chunks": 0, "sentences": 0})
    reused: int = 0  # chunks whose vectors were not computed: cache, previous build, segments
    sentences: int = 0  # sentences stored as spans (answers quote the best of them)
    files: dict[str, int] = field(default_factory=dict)  # parsed, kept, copied, removed
    segments: dict[str, int] = field(default_factory=dict)  # kept, written
    embedder: dict[str, str] = field(default_factory=dict)  # backend, device (and workers)
    issues: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict:
        """The report as `debate-search index --json` prints it."""
        return asdict(self)

    def count_embedded(self, kind: str, texts: int) -> None:
        """`texts` more of `kind` ("chunks", "sentences") were embedded."""
        self.embedded_by_kind[kind] += texts
        self.embedded += texts

    def _embedded_by(self) -> str:
        if not self.embedded or not self.embedder:
            return ""
        by = f" by {self.embedder['backend']} on {self.embedder['device']}"
        return by + (f", {self.embedder['workers']}" if "workers" in self.embedder else "")

    def summary(self) -> str:
        if self.up_to_date:
            return f"Index at {self.index_dir} is up to date; nothing to do."
        lines = [
            f"Indexed {self.contributions:,} contributions as {self.chunks:,} chunks "
            f"({self.embedded:,} embedded{self._embedded_by()}, {self.reused:,} reused) and "
            f"{self.sentences:,} sentences (embedded when an answer first quotes from them) "
            f"in {self.seconds.get('total', 0):.1f} s -> {self.index_dir}"
        ]
        if self.issues:
            lines.append(f"Skipped {len(self.issues)} item(s):")
            lines += [f"  {issue}" for issue in self.issues]
        return "\n".join(lines)
