"""The size check of the Change Calendar renders it only when a cheap bound passes SSM's limit:
the bound must never be below the rendered size, whatever the freezes' keys and times hold."""

from __future__ import annotations

import random

from patching_components.aws.change_calendar import calendar_content, calendar_size_bound
from patching_components.config.sections import ChangeFreezeConfig

# What iCalendar escapes or folds differently: separators, backslashes, newlines, multi-octet text.
ALPHABET = "abcXYZ019-_.,;:\\ \"'éß€😀"  # (icalendar refuses a raw newline)
ZONES = ("UTC", "Europe/London", "America/Argentina/ComodRivadavia", "Pacific/Chatham")


def random_freezes(rng: random.Random, count: int) -> dict[str, ChangeFreezeConfig]:
    freezes = {}
    for _ in range(count):
        key = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 300)))
        start = f"20{rng.randrange(27, 99)}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 10)}"
        end = f"21{rng.randrange(10, 99)}-12-31T23:59:59"
        freezes[key] = ChangeFreezeConfig(start=start, end=end, timezone=rng.choice(ZONES))
    return freezes


def test_the_bound_is_never_below_the_rendered_calendar():
    rng = random.Random(27)
    for _ in range(150):
        freezes = random_freezes(rng, rng.randrange(0, 12))
        description = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 400)))
        size = len(calendar_content(freezes, description).encode())
        assert size <= calendar_size_bound(freezes, description)


def test_a_few_freezes_are_judged_without_rendering():
    # 64,000 octets (CreateDocument's content limit) hold a hundred short freezes: the bound says so
    # for ten of them, and it is no more than twice the real size plus the fixed text.
    freezes = {f"freeze-{i}": ChangeFreezeConfig(start="2027-12-20", end="2028-01-02") for i in range(10)}
    description = "Change freezes of acme-ap-southeast-2: no patch window starts while CLOSED"
    size = len(calendar_content(freezes, description).encode())
    assert size < calendar_size_bound(freezes, description) < min(64_000, 3 * size)
