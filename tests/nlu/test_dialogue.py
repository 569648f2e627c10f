"""The dialogue policies on tests/test_stories.yml, through the running Rasa server's
``/model/test/stories`` (what ``rasa test core`` does, on the model already loaded): for
every topic the start, an answer, a change of topic mid-form and the final answer;
emergencies (also mid-form), handoff, fallback and scope. Every predicted action must match."""
from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.servers


def test_dialogue_policies_predict_every_story_step(servers):
    stories = (ROOT / "tests" / "test_stories.yml").read_bytes()
    request = urllib.request.Request(f"{servers.rasa}/model/test/stories?token={servers.token}", data=stories,
                                     headers={"Content-Type": "application/x-yaml"})
    with urllib.request.urlopen(request, timeout=600) as response:
        evaluation = json.loads(response.read().decode())
    wrong = [a for a in evaluation["actions"] if a["action"] != a["predicted"]]
    assert not wrong, wrong[:10]
    assert evaluation["accuracy"] == 1.0 and len(evaluation["actions"]) > 100
