"""Documents from a real conversation: the REST payload carries the links, the web server builds
the files from the sealed link, and the worker can have their name and employer filled in."""
from __future__ import annotations

import io
import subprocess
import urllib.error
import urllib.request

import pytest
from docx import Document as WordDocument

from bot.debian import ensure_command

pytestmark = pytest.mark.e2e
FLOW = ["老板拖欠我三个月工资怎么办", "江苏淮安", "月薪八千", "已经不干了", "2026年10月15日"]


def _payload(messages) -> dict:
    return next((m["custom"] for m in messages if "documents" in (m.get("custom") or {})), {})


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        assert response.headers["Cache-Control"] == "no-store"
        return response.read()


def _conversation(servers, sender) -> list:
    for text in FLOW:
        messages = servers.say(sender, text)
    return messages


def test_after_a_calculated_answer_the_worker_gets_documents_to_download(servers, sender, tmp_path):
    last = _conversation(servers, sender)
    offered = [b["title"] for m in last for b in m.get("buttons") or []]
    assert "生成文书" in offered, last
    messages = servers.say(sender, "/request_documents")
    payload = _payload(messages)
    titles = [d["title"] for d in payload["documents"]]
    assert titles == ["劳动人事争议仲裁申请书", "劳动保障监察投诉书", "证据清单与时间表"]
    text = "\n".join(m.get("text", "") for m in messages)
    assert payload["documents_page"] in text  # text channels get the page's link in the words
    assert payload["documents_page"].startswith(servers.web + "/documents/")
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(_get(payload["documents"][0]["pdf"]))
    read = subprocess.run([ensure_command("pdftotext", "poppler-utils"), "-raw", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout.replace("\n", "")
    assert "劳动人事争议仲裁申请书" in read and "拖欠的劳动报酬24,000元" in read
    assert "2026年10月15日离职" in read and "第五十条" in read
    page = _get(payload["documents_page"]).decode("utf-8")
    assert "劳动保障监察投诉书" in page and ".docx" in page
    # The union's letters are for staff, not offered to the worker.
    with pytest.raises(urllib.error.HTTPError) as refused:
        _get(payload["documents"][0]["pdf"].replace("/arbitration.pdf", "/union_opinion.pdf"))
    assert refused.value.code == 404


def test_the_worker_may_have_their_name_and_employer_filled_in(servers, sender):
    _conversation(servers, sender)
    first = servers.say(sender, "/request_documents")
    assert "填上姓名和单位" in [b["title"] for m in first for b in m.get("buttons") or []]
    assert "姓名" in servers.text(sender, "/fill_documents")
    assert "单位的全称" in servers.text(sender, "我叫王小明")
    messages = servers.say(sender, "淮安市某某电子有限公司")
    word = WordDocument(io.BytesIO(_get(_payload(messages)["documents"][0]["docx"])))
    cells = " ".join(c.text for t in word.tables for r in t.rows for c in r.cells)
    assert "王小明" in cells and "淮安市某某电子有限公司" in cells
    # The names are not kept for the next time: a new request starts blank again.
    again = _payload(servers.say(sender, "/request_documents"))
    word = WordDocument(io.BytesIO(_get(again["documents"][0]["docx"])))
    assert "王小明" not in " ".join(c.text for t in word.tables for r in t.rows for c in r.cells)


def test_a_skipped_name_stays_a_blank_line(servers, sender):
    _conversation(servers, sender)
    servers.say(sender, "/request_documents")
    servers.say(sender, "/fill_documents")
    servers.say(sender, "跳过")
    messages = servers.say(sender, "跳过")
    word = WordDocument(io.BytesIO(_get(_payload(messages)["documents"][0]["docx"])))
    cells = [c.text for t in word.tables for r in t.rows for c in r.cells]
    assert cells[cells.index("姓名") + 1].startswith("＿＿")


def test_a_damaged_link_gets_a_clear_page_not_an_error(servers):
    with pytest.raises(urllib.error.HTTPError) as broken:
        _get(servers.web + "/documents/not-a-real-link/arbitration.pdf")
    assert broken.value.code == 404
    assert "没有找到这个文书链接" in broken.value.read().decode("utf-8")
