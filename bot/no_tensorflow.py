"""Keep TensorFlow out of processes that never run a model.

The action server and the web server find place names with spaCy's blank Chinese pipeline (a
tokenizer and a phrase matcher, no model). Importing spaCy imports thinc, and thinc imports
TensorFlow just to learn whether it is installed: measured here, 370 MB more memory and two
seconds more at the first answer. Marking the module as absent makes thinc carry on without it.
"""
from __future__ import annotations

import sys


def block_tensorflow() -> None:
    """Make ``import tensorflow`` fail in this process (call before spaCy is imported)."""
    if "tensorflow" not in sys.modules:
        sys.modules["tensorflow"] = None  # type: ignore[assignment]
