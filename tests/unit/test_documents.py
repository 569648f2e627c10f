"""Documents from a case, generated for several topics and places and read back as a reader
would: the Word file with python-docx, the PDF with pdftotext."""
from __future__ import annotations

import io
import subprocess
from datetime import date

import pytest
from docx import Document as WordDocument

from bot.debian import ensure_command
from knowledge import clock
from knowledge.documents import CaseFacts, Parties, available_kinds, compose
from knowledge.documents.docx_file import to_docx
from knowledge.documents.links import LinkError, seal, unseal
from knowledge.documents.pdf_file import to_pdf
from tests.e2e.conftest import ARTIFACTS

ON = date(2026, 11, 28)
WAGES = CaseFacts("wage_arrears", "320803", {"monthly_wage": 8000.0, "arrears_months": 3.0, "still_employed": False,
                                             "left_date": "2026-10-15"}, ON,
                  Parties(name="张三", employer="淮安某某制造有限公司", employer_address="淮安市某路8号"))
DISMISSAL = CaseFacts("dismissal", "440300", {"service_months": 42.0, "monthly_wage": 12000.0, "how_ended": "unlawful",
                                              "end_date": "2026-10-20"}, ON)
NO_CONTRACT = CaseFacts("labor_contract", "110105", {"contract_status": "unsigned", "start_date": "2026-01-05",
                                                     "monthly_wage": 9000.0}, ON)
SOCIAL = CaseFacts("social_insurance", "310115", {"still_employed": True}, ON)


def _docx_text(data: bytes) -> str:
    word = WordDocument(io.BytesIO(data))
    cells = [c.text for t in word.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in word.paragraphs] + cells)


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run([ensure_command("pdftotext", "poppler-utils"), "-raw", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout.replace("\n", "")


@pytest.mark.parametrize("case, claim, articles", [
    (WAGES, "拖欠的劳动报酬24,000元", ["《中华人民共和国劳动法》第五十条", "第三十条"]),
    (DISMISSAL, "违法解除劳动合同的赔偿金96,000元", ["第四十八条、第八十七条", "第四十七条"]),
    (NO_CONTRACT, "二倍工资差额88,200元", ["第八十二条", "第十条"]),
])
def test_the_arbitration_application_claims_the_calculated_amount_with_its_articles(db, case, claim, articles, tmp_path):
    doc = compose(db, "arbitration", case)
    for data, text in ((to_docx(doc), None), (to_pdf(doc), "pdf")):
        read = _pdf_text(data, tmp_path) if text else _docx_text(data)
        assert "劳动人事争议仲裁申请书" in read
        assert claim in read, read[:800]
        for article in articles:
            assert article in read
        assert "第二十八条" in read  # what an application must contain, cited
        assert "此致" in read and "申请人（签名）" in read


def test_names_given_are_filled_and_the_rest_left_blank_to_fill_by_hand(db):
    text = _docx_text(to_docx(compose(db, "arbitration", WAGES)))
    assert "张三" in text and "淮安某某制造有限公司" in text and "淮安市某路8号" in text
    assert "2026年10月15日离职" in text
    blank = compose(db, "arbitration", CaseFacts("wage_arrears", "320803", {}, ON))
    claim = next(b for b in blank.blocks if b.__class__.__name__ == "Numbered").items[0]
    assert "＿＿" in claim and "元" in claim  # no amount invented
    assert any("需要月工资和拖欠月数" in b.text for b in blank.blocks if b.__class__.__name__ == "Note")
    assert blank.blanks > compose(db, "arbitration", WAGES).blanks


def test_the_application_names_the_city_commission_or_leaves_the_line_to_fill(db):
    assert "此致深圳市劳动人事争议仲裁委员会" in compose(db, "arbitration", DISMISSAL).text().replace("\n", "")
    for case in (WAGES, NO_CONTRACT):  # no city commission on file; Beijing's municipal one is not the usual
        text = compose(db, "arbitration", case).text()
        assert "＿＿劳动人事争议仲裁委员会" in text and "请按劳动合同履行地或者单位所在地填写" in text


def test_the_inspection_complaint_asks_the_authority_to_order_payment_or_contributions(db, tmp_path):
    wages = _pdf_text(to_pdf(compose(db, "inspection", WAGES)), tmp_path)
    assert "劳动保障监察投诉书" in wages and "责令被投诉单位限期支付拖欠的工资" in wages
    assert "第八十五条" in wages and "《劳动保障监察条例》第九条" in wages
    social = _docx_text(to_docx(compose(db, "inspection", SOCIAL)))
    assert "补缴社会保险费" in social and "第五十八条" in social and "第八十六条" in social
    assert "投诉人于" in social and "申请人" not in social


def test_the_union_letters_are_for_staff_and_name_the_workers_and_the_breach(db):
    assert "union_opinion" not in available_kinds("wage_arrears")
    assert {"union_letter", "union_opinion", "union_proposal"} <= set(available_kinds("wage_arrears", staff=True))
    several = CaseFacts("wage_arrears", "320803", {"monthly_wage": 8000.0, "arrears_months": 3.0}, ON,
                        Parties(employer="淮安某某制造有限公司", workers=12))
    opinion = compose(db, "union_opinion", several).text()
    assert "工会劳动法律监督意见书" in opinion and "12名职工" in opinion and "未按约定及时足额支付劳动报酬" in opinion
    assert "个工作日内改正" in opinion and "《中华人民共和国工会法》第二十二条、第二十三条" in opinion
    proposal = compose(db, "union_proposal", several).text()
    assert "人力资源和社会保障局" in proposal and "建议贵单位依法调查处理" in proposal


def test_the_evidence_checklist_has_the_topics_items_and_the_deadline(db):
    text = compose(db, "evidence", WAGES).text()
    assert "工资条" in text and "欠条" in text and "考勤" in text
    assert "劳动仲裁时效" in text and "2027-10-15" in text  # one year after leaving, 民法典 rules for the end
    injury = compose(db, "evidence", CaseFacts("work_injury", "420100", {"injury_date": "2026-11-02"}, ON)).text()
    assert "病历" in injury and "工伤认定申请期限" in injury


def test_a_document_that_does_not_fit_the_topic_is_refused(db):
    with pytest.raises(ValueError):
        compose(db, "arbitration", SOCIAL)  # unpaid contributions go to the authorities, not arbitration


def test_a_first_page_is_saved_for_people_to_look_at(db, tmp_path):
    path = tmp_path / "arbitration.pdf"
    path.write_bytes(to_pdf(compose(db, "arbitration", WAGES)))
    out = ARTIFACTS / "documents"
    out.mkdir(parents=True, exist_ok=True)
    pdftoppm = ensure_command("pdftoppm", "poppler-utils")
    subprocess.run([pdftoppm, "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(out / "arbitration-page1")], check=True)
    assert (out / "arbitration-page1.png").stat().st_size > 10_000


def test_a_link_carries_the_case_for_24_hours_and_no_longer():
    with clock.frozen("2026-11-28T10:00:00+08:00"):
        token = seal(WAGES)
        assert "张三" not in token and "8000" not in token  # sealed: logs and proxies see only ciphertext
        assert unseal(token) == WAGES
    with clock.frozen("2026-11-29T09:59:00+08:00"):
        assert unseal(token).parties.name == "张三"
    with clock.frozen("2026-11-29T10:01:00+08:00"):
        with pytest.raises(LinkError) as late:
            unseal(token)
        assert late.value.expired
    with pytest.raises(LinkError) as forged:
        unseal(token[:-6] + "AAAAAA")
    assert not forged.value.expired


@pytest.mark.parametrize("typed, expected", [
    ("我叫王小明", "王小明"), ("王小明", "王小明"), ("跳过", "__skip__"), ("不想说", "__skip__"), ("", "__skip__"),
    ("  我是 李四 ", "李四"), ("名" * 100, "名" * 40),
])
def test_a_name_for_the_document_is_read_as_typed_or_skipped(typed, expected):
    from actions.documents import ValidateDocumentForm
    from actions.facts import SKIP

    got = ValidateDocumentForm._name(typed, ("我叫", "我是"))
    assert got == (SKIP if expected == "__skip__" else expected)
