"""Answer first, through the real servers: the first reply to a single question already says
what was asked (the figure, the rule with its article, the verdict, the sum) — at least 95 % of
the questions in tests/dialogue/first_replies.yml, every topic, with and without a place."""
from __future__ import annotations

import json

import pytest

from tests.conftest import ARTIFACTS
from tests.dialogue.first_replies import first_reply_rate, questions

pytestmark = pytest.mark.e2e


def test_the_set_covers_every_topic_and_is_large_enough():
    assert len(questions()) >= 150


def test_first_replies_answer_the_question(servers):
    rate, misses = first_reply_rate(servers.text)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "first-replies.json").write_text(json.dumps({"rate": rate, "misses": misses}, ensure_ascii=False,
                                                             indent=1), encoding="utf-8")
    assert rate >= 0.95, json.dumps(misses, ensure_ascii=False, indent=1)[:6000]
