"""Gongyou's domain core: regions, rules and figures, service points, calculators, router.

Plain Python and SQLAlchemy; nothing here imports Rasa or the actions, so the
CLI, the staff console and the action server all share the same answers.
"""
