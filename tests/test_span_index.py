"""
The span index keeps each project's spans by operation in order of duration while spans arrive,
are evicted and leave with their project, whether it has sorted the newest in yet or not: every
read answers what sorting the spans kept would.
"""

from __future__ import annotations

import random

import pytest

from sentry_fake.store import span_index
from sentry_fake.store.span_blocks import SpanBlock
from sentry_fake.store.trace_models import Span
from sentry_fake.store.traces import TraceBook

OPS = ("db", "http.client", None)


def make_block(chance: random.Random, number: int, project_id: int, size: int) -> SpanBlock:
    trace = f"{number:032x}"
    spans = []
    for place in range(size):
        # Few durations, so that ties (broken by arrival) are common.
        start, length = 1000.0 + number, chance.choice((0.0, 0.001, 0.01, 0.25))
        spans.append(Span(trace, f"{number:08x}{place:08x}", None, f"{number:08x}{0:08x}",
                          place == 0, project_id, "span", chance.choice(OPS), None, "ok",
                          start, start + length, start, seq=number, ordinal=place))
    return SpanBlock.of_spans(spans)


def expected(kept: list[tuple[int, int, Span]], project_id: int) -> dict:
    found: dict = {}
    for serial, place, span in sorted(kept, key=lambda k: (k[2].duration_ms, k[0], k[1])):
        if span.project_id == project_id:
            found.setdefault(span.op, []).append(span)
    return found


def read(book: TraceBook, project_id: int) -> dict:
    return {op: list(spans) for op, spans in book.span_index.by_op(project_id).items()}


@pytest.mark.parametrize("seed", range(6))
def test_every_read_answers_what_sorting_the_spans_kept_answers(seed):
    chance = random.Random(seed)
    capacity = chance.choice((300, 2000, 10_000))
    book = TraceBook(capacity)
    kept: list[tuple[int, int, Span]] = []  # (serial, place, span), oldest first
    serial = 0
    for number in range(1, 400):
        # Mostly small blocks; some larger than what is put aside before it is sorted in.
        size = chance.choice((1, 3, 16, 16, 40)) if chance.random() < 0.95 else \
            chance.randrange(span_index._SORTED_AT, 3 * span_index._SORTED_AT)
        project_id = chance.choice((1, 1, 2))
        block = make_block(chance, number, project_id, size)
        assert book.add_spans(block) is not None
        serial += 1
        kept += [(serial, place, span) for place, span in enumerate(block.spans())]
        del kept[:max(0, len(kept) - capacity)]
        if chance.random() < 0.2:
            for project in (1, 2):
                assert read(book, project) == expected(kept, project)
        if chance.random() < 0.02:
            book.forget_project(2)
            kept = [entry for entry in kept if entry[2].project_id != 2]
        for project in (1, 2):
            sizes = {op: len(spans) for op, spans in book.span_index.by_op(project).items()}
            assert sizes == {op: len(spans) for op, spans in expected(kept, project).items()}
    for project in (1, 2):
        assert read(book, project) == expected(kept, project)
        for op, spans in book.span_index.by_op(project).items():
            wanted = expected(kept, project)[op]
            assert list(reversed(spans)) == wanted[::-1]
            assert [spans[index] for index in range(len(spans))] == wanted


def test_the_newest_span_of_an_operation_is_the_last_to_arrive():
    chance = random.Random(3)
    book = TraceBook(10_000)
    last: dict = {}
    for number in range(1, 60):
        block = make_block(chance, number, 1, chance.choice((1, 5, 300)))
        book.add_spans(block)
        for span in block.spans():
            last[span.op] = span
        for op, spans in book.span_index.by_op(1).items():
            assert spans.newest is last[op]
