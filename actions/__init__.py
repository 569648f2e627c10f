"""Custom actions for the Rasa action server: thin adapters from slots to
:mod:`knowledge` and back to text. Run with ``python -m rasa_sdk --actions actions``."""
import logging

from knowledge import cases
from knowledge.db import session_factory
from knowledge.privacy import install_log_masking

# Nothing a worker typed reaches the action server's log with a personal number in clear.
install_log_masking()

# Cases kept in the spool while the database was down are written as soon as the server starts.
try:
    if cases.spooled():
        logging.getLogger(__name__).warning("wrote %d spooled case(s) at start-up", cases.flush_spool(session_factory()))
except Exception:  # noqa: BLE001 - the server must start even with the database still down
    logging.getLogger(__name__).exception("spooled cases not written yet")
