"""Whole conversations through the REST channel (tests/dialogue/conversations.yml): monthly
and total amounts, corrections, skips, topic switches mid-form, legality verdicts,
emergencies mid-form and hand-off — what the worker reads at every turn."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.e2e
CONVERSATIONS = yaml.safe_load((Path(__file__).resolve().parents[1] / "dialogue" / "conversations.yml")
                               .read_text(encoding="utf-8"))["conversations"]


def test_there_are_enough_conversations():
    assert len(CONVERSATIONS) >= 25


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=[c["name"] for c in CONVERSATIONS])
def test_conversation(servers, conversation):
    sender = "conv-" + uuid.uuid4().hex[:12]
    for turn in conversation["turns"]:
        reply = servers.text(sender, str(turn["say"]))
        for expected in turn.get("expect") or []:
            assert str(expected) in reply, (turn["say"], expected, reply)
        for absent in turn.get("absent") or []:
            assert str(absent) not in reply, (turn["say"], absent, reply)
