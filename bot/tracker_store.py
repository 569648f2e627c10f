"""Rasa's SQL tracker store, storing events with personal numbers masked.

ID-card, bank-card and phone numbers in user and bot texts, entities and slot
values are masked (last four digits kept) before an event is written. The turn
that is running still sees the real value, so the consented callback number
reaches the case record (which keeps it); the stored conversation never does.

Configured in endpoints.yml as ``type: bot.tracker_store.MaskingSQLTrackerStore``.
"""
from __future__ import annotations

from typing import Any, Iterator, List

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from knowledge.privacy import mask_pii


def mask_value(value: Any) -> Any:
    """``value`` with every string inside it masked (dicts and lists walked)."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 1e10:
        # A phone or card number read as an amount (money entity 13912345678.0): no wage is that big.
        digits = str(int(abs(value)))
        return "*" * (len(digits) - 4) + digits[-4:]
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_value(item) for item in value]
    return value


def masked_event(event: Event) -> Event:
    """A copy of ``event`` with personal numbers masked (the same event when nothing changes)."""
    data = event.as_dict()
    masked = mask_value(data)
    if masked == data:
        return event
    return Event.from_parameters(masked) or event


class MaskingSQLTrackerStore(SQLTrackerStore):
    """:class:`SQLTrackerStore` that never writes a personal number to the database."""

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        events: List[Event] = list(super()._additional_events(session, tracker))
        return iter([masked_event(event) for event in events])
