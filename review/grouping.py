"""Group queued messages by meaning and rank the groups by how often that kind of message occurs.

Why: reviewers have minutes, not days. Ten customers asking "do you do gift cards" in ten wordings
are one problem to fix, and it matters more than a one-off. Messages are compared with the same
sentence encoder the product search uses, so "got gift vouchers?" and "do you sell gift cards" land
together although they share no word.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from handoff.models import as_utc
from review.models import ReviewItem

# Cosine similarity (MiniLM, mean-pooled) above which two messages count as the same kind.
SAME_KIND = 0.75


@dataclass
class Group:
    """Messages of one kind: the first one found leads, the others joined it."""

    items: list[ReviewItem] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.items)

    @property
    def latest(self) -> datetime:
        return max(as_utc(item.occurred_at) for item in self.items)


def group_items(items: Sequence[ReviewItem], encode: Callable[[str], np.ndarray], *, threshold: float = SAME_KIND) -> list[Group]:
    """Greedy grouping against each group's leader, largest groups first, then the most recent."""
    groups: list[Group] = []
    leaders: list[np.ndarray] = []
    for item in sorted(items, key=lambda i: (i.occurred_at, i.id)):
        vector = encode(item.text)
        scores = [float(np.dot(vector, leader)) for leader in leaders]
        best = int(np.argmax(scores)) if scores else -1
        if best >= 0 and scores[best] >= threshold:
            groups[best].items.append(item)
        else:
            groups.append(Group(items=[item]))
            leaders.append(vector)
    return sorted(groups, key=lambda g: (-g.size, -g.latest.timestamp()))
