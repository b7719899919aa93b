"""Name and street pools built once per locale from a seeded Faker.

Calling Faker per row is far too slow at a million customers, so we draw a few thousand
names per locale up front (keeping Faker's realistic frequency skew, since popular names
repeat in the pool) and then sample indices with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from faker import Faker


@dataclass(frozen=True)
class LocalePool:
    female: np.ndarray
    male: np.ndarray
    last: np.ndarray
    street: np.ndarray


def _clean(names: list[str]) -> np.ndarray:
    # Keep purely alphabetic names so e-mail local parts and handles stay well-formed.
    keep = [n for n in names if n.replace("-", "").replace("'", "").isalpha()]
    return np.array(keep, dtype=object)


@lru_cache(maxsize=8)
def pools(seed: int, size: int = 2500) -> dict[str, LocalePool]:
    """Pools for en_US and en_GB; cached so repeated runs in one process pay once."""
    out = {}
    for i, locale in enumerate(("en_US", "en_GB")):
        fake = Faker(locale)
        fake.seed_instance(seed * 7 + i)
        out[locale] = LocalePool(
            female=_clean([fake.first_name_female() for _ in range(size)]),
            male=_clean([fake.first_name_male() for _ in range(size)]),
            last=_clean([fake.last_name() for _ in range(size)]),
            street=np.array([fake.street_name() for _ in range(size // 2)], dtype=object),
        )
    return out
