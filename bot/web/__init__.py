"""The web server on :8080: the chat page and embeddable widget, and the staff console."""
