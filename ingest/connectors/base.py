"""The connector interface: a source kind turns a time window into batches of contract-shaped rows."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, ClassVar, Iterator

from ingest.contracts import RecordKind
from ingest.sources import SourceConfig

KINDS: dict[str, type["Connector"]] = {}


@dataclass
class Batch:
    """Rows of one record kind, as the source gave them (mapped to contract field names).

    `progress` (0–1) is how far through the window the pull is once this batch is stored.
    `on_committed`, where given, is called once the batch has committed, with the rows stored and the
    (raw row, reason) pairs quarantined: a file is moved only after its rows are safe.
    `may_repeat`: rows another part of the same pull may read too (a slice's overlap, `pull_part`); the
    pipeline writes them once the rest of the pull is written, looking their ids up (not inserted as new).
    """

    kind: RecordKind
    rows: list[dict]
    progress: float
    on_committed: Callable[[int, list[tuple[object, str]]], None] | None = field(default=None, repr=False)
    may_repeat: bool = False


class Connector(ABC):
    kind: ClassVar[str]
    # A backfill of a kind whose rows cost more to make than to store (the demo generator) is prepared in
    # processes of its own beside the writer (`pull_part`); the kind must then be importable from
    # `ingest.connectors` (registered there).
    prepare_in_subprocess: ClassVar[bool] = False

    def __init__(self, source: SourceConfig):
        self.source = source

    def worth_a_subprocess(self, since: datetime | None, until: datetime) -> bool:
        """Whether this pull is large enough to prepare in processes of its own (starting one costs ~2 s):
        by default a backfill is."""
        return since is None

    @abstractmethod
    def pull(self, since: datetime | None, until: datetime) -> Iterator[Batch]:
        """Every record created or changed in (since, until], in its state as of `until`.

        `since` is None on the first pull (a backfill of the whole history the source keeps).
        """

    def pull_part(self, since: datetime | None, until: datetime, part: int, parts: int,
                  claim: Callable[[], int] | None = None) -> Iterator[Batch]:
        """Part `part` (0 … parts − 1) of `pull(since, until)`: the parts together give every record the
        whole pull gives, so as many processes can prepare them side by side (issue 3). A kind that cannot
        split its window gives it all as part 0. `claim`, shared by the parts, gives each call the next number
        0, 1, 2 …: a kind that cuts its window into slices may take them in that order instead of dealing them
        out in turn, so the parts finish together however uneven the slices are."""
        return self.pull(since, until) if part == 0 else iter(())


def register(cls: type[Connector]) -> type[Connector]:
    KINDS[cls.kind] = cls
    return cls


def connector_for(source: SourceConfig) -> Connector:
    try:
        return KINDS[source.kind](source)
    except KeyError:
        raise ValueError(f"source {source.name!r}: unknown kind {source.kind!r} (known: {', '.join(sorted(KINDS))})")


ProgressCallback = Callable[[float, str], None]
