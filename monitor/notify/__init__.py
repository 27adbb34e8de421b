"""Notify: hits become alerts delivered to channels through Apprise.

- :mod:`monitor.notify.routing` decides, in the transaction that stores a hit, which
  channels it goes to and when (at once, or at the end of its digest period).
- :mod:`monitor.notify.sender` groups due alerts into messages, renders them
  (:mod:`monitor.notify.render`) and delivers each to every URL of its channel
  (:mod:`monitor.notify.channels`), with retries; the outbox tables keep every step.
"""

from __future__ import annotations

from typing import Protocol


class Notifier(Protocol):
    def wake(self) -> None:
        """New alerts are in the outbox: send what is due soon."""
