"""Notify: hits become alerts delivered to channels.

This is the seam alert delivery plugs into (channels, outbox, templates, digests); the
pipeline hands every poll's hits to a :class:`Notifier`. With no notifier configured,
hits are only stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from monitor.models import Hit


class Notifier(Protocol):
    async def push(self, hits: Sequence[Hit]) -> None: ...
