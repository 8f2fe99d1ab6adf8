"""
The latest and oldest events of a sequence in arrival order, by their own times: each walk
stops early, and answers what sorting every event would.
"""

import random

import pytest

from sentry_fake.store.event_times import latest_event, latest_events, neighbours, oldest_event
from sentry_fake.store.models import Event


def event(n: int, received: float, timestamp: float, environment: str) -> Event:
    return Event(event_id=f"{n:032x}", project_id=1, type="default", received=received,
                 timestamp=timestamp, level="error", platform="python", title="t", culprit="",
                 message="", release=None, environment=environment, user=None, logger=None,
                 unhandled=False, hashes=[], raw=b"{}", metadata={})


@pytest.mark.parametrize("seed", range(20))
def test_the_walks_answer_what_sorting_answers(seed):
    chance = random.Random(seed)
    ahead, behind = chance.choice((0.0, 5.0, 60.0)), chance.choice((0.0, 30.0, 7200.0))
    events, received = [], 1_000_000.0
    for n in range(300):
        received += chance.choice((0.0, 0.01, 1.0))  # some arrive at one instant
        offset = chance.choice((0.0, -behind, ahead, chance.uniform(-behind, ahead)))
        events.append(event(n, received, round(received + offset), chance.choice("ab")))
    keep = (lambda e: e.environment == "a") if seed % 2 else None
    kept = [e for e in events if keep is None or keep(e)]
    order = {id(e): n for n, e in enumerate(events)}
    latest_first = sorted(kept, key=lambda e: (e.timestamp, order[id(e)]), reverse=True)
    for count in (1, 7, 50, 400):
        assert latest_events(events, keep, count, ahead) == latest_first[:count]
    assert latest_event(events, keep, ahead) is latest_first[0]
    oldest_first = sorted(kept, key=lambda e: (e.timestamp, order[id(e)]))
    assert oldest_event(events, keep, behind) is oldest_first[0]
    in_time = sorted(events, key=lambda e: (e.timestamp, order[id(e)]))
    for position in (0, 1, 150, 299):
        place = in_time.index(events[position])
        older, newer = neighbours(events, position)
        assert older is (in_time[place - 1] if place else None)
        assert newer is (in_time[place + 1] if place + 1 < len(in_time) else None)


def test_nothing_kept_is_none():
    events = [event(1, 10.0, 9.0, "a")]
    assert latest_event(events, lambda e: False) is None
    assert oldest_event(events, lambda e: False) is None
    assert latest_events(events, lambda e: False, 5) == [] == latest_events(events, None, 0)
