"""Custom actions for the Rasa action server: thin adapters from slots to
:mod:`knowledge` and back to text. Run with ``python -m rasa_sdk --actions actions``."""
