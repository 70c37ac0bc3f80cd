from collections.abc import Iterable, Iterator

import pytest

from helpline.search import engine
from helpline.search.engine import Document


class MemorySource:
    """A source over a dict, for testing the engine alone."""

    kind = "memo"

    def __init__(self) -> None:
        self.store: dict[int, Document] = {}

    def documents(self, ids: Iterable[int]) -> Iterable[Document]:
        return [self.store[i] for i in ids if i in self.store]

    def all_ids(self) -> Iterator[int]:
        return iter(sorted(self.store))

    def put(self, *documents: Document) -> None:
        for document in documents:
            self.store[document.object_id] = document
        engine.index(self.kind, [d.object_id for d in documents])


@pytest.fixture
def memo(db):
    source = MemorySource()
    engine.register(source)
    return source
