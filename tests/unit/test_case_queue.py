"""The staff console's case queue on the real test database: search, pages, exports, access records."""
from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

import pytest

from knowledge import models
from knowledge.case_queue import (
    CaseFilter,
    access_log,
    export_rows,
    find_cases,
    record_access,
    to_csv,
    to_xlsx,
)
from knowledge.cases import CaseDraft, _insert
from knowledge.staff import AccountError, add_user, change_account, login_history


def _add(db, prefix: str, n: int, **fields) -> list:
    """``n`` cases whose references start with ``prefix`` (so a search finds exactly these)."""
    start = datetime(2026, 5, 1, 9, 0)
    out = []
    for i in range(n):
        draft = CaseDraft(reason=fields.get("reason", "requested"), sender_id=f"t-{prefix}-{i}",
                          topic=fields.get("topic", "wage_arrears"), place_adcode=fields.get("place", "320803"),
                          facts=fields.get("facts", {}), callback_phone=fields.get("phone"),
                          consent=bool(fields.get("phone")), reference=f"{prefix}{i:03d}",
                          created_at=(start + timedelta(minutes=i)).isoformat())
        out.append(_insert(db, draft))
    db.flush()
    return out


@pytest.fixture()
def prefix() -> str:
    return "GY-T" + uuid.uuid4().hex[:6].upper()


def test_the_queue_has_pages_past_the_old_limit_of_200(db, prefix):
    _add(db, prefix, 230)
    f = CaseFilter(q=prefix)
    first = find_cases(db, f, page=1)
    assert (first.total, first.pages, len(first.cases)) == (230, 5, 50)
    last = find_cases(db, f, page=5)
    assert len(last.cases) == 30
    assert find_cases(db, f, page=99).page == 5  # past the end: the last page
    seen = {c.reference for p in range(1, 6) for c in find_cases(db, f, page=p).cases}
    assert len(seen) == 230  # every case once, none skipped or repeated across pages
    assert first.cases[0].created_at > first.cases[-1].created_at  # newest first


def test_an_emergency_comes_before_newer_ordinary_cases(db, prefix):
    _add(db, prefix + "A", 3)
    urgent = _add(db, prefix + "B", 1, reason="emergency")[0]
    urgent.created_at = datetime(2026, 1, 1)
    db.flush()
    assert find_cases(db, CaseFilter(q=prefix)).cases[0].reference == urgent.reference


def test_search_by_the_last_four_digits_of_the_callback_number(db, prefix):
    mine = _add(db, prefix + "P", 1, phone="13912347301")[0]
    other = _add(db, prefix + "Q", 1, phone="13912349999")[0]
    found = {c.reference for c in find_cases(db, CaseFilter(q="7301")).cases}
    assert mine.reference in found and other.reference not in found


def test_search_by_case_number_is_not_case_sensitive(db, prefix):
    case = _add(db, prefix, 1)[0]
    assert [c.reference for c in find_cases(db, CaseFilter(q=case.reference.lower())).cases] == [case.reference]


def test_search_by_place_takes_the_place_and_everything_inside_it(db, prefix):
    huaian = _add(db, prefix + "H", 1, place="320803")[0]  # 淮安市淮安区
    shenzhen = _add(db, prefix + "S", 1, place="440300")[0]
    found = {c.reference for c in find_cases(db, CaseFilter(q=prefix, place="淮安")).cases}
    assert huaian.reference in found and shenzhen.reference not in found
    found = {c.reference for c in find_cases(db, CaseFilter(q=prefix, place="江苏")).cases}
    assert huaian.reference in found and shenzhen.reference not in found


def test_an_unknown_place_finds_nothing_and_says_so(db, prefix):
    _add(db, prefix, 2)
    page = find_cases(db, CaseFilter(q=prefix, place="亚特兰蒂斯"))
    assert page.cases == [] and page.place_found is False


def test_words_of_the_summary_are_searched_each(db, prefix):
    _add(db, prefix + "W", 1, topic="work_injury")
    found = find_cases(db, CaseFilter(q=f"{prefix}W 工伤"))
    assert [c.topic for c in found.cases] == ["work_injury"]
    assert find_cases(db, CaseFilter(q=f"{prefix}W 产假")).total == 0


def test_the_filter_survives_the_url_and_bad_values_are_dropped():
    f = CaseFilter.from_query({"status": "new", "topic": "no-such-topic", "province": "32'; drop", "place": " 淮安 ",
                               "q": "x" * 500})
    assert (f.status, f.topic, f.province, f.place, len(f.q)) == ("new", "", "", "淮安", 80)
    assert CaseFilter.from_query(dict(parse_qsl(f.as_query()))) == f  # the next-page link keeps the filter
    assert "page=3" in f.as_query(page=3)


def test_exports_mask_numbers_and_cannot_run_as_formulas(db, prefix):
    case = _add(db, prefix, 1, phone="13912347301")[0]
    case.summary = "=HYPERLINK(\"http://x\") 身份证 320826199001011234 电话 13912347301"
    db.flush()
    rows = export_rows(db, CaseFilter(q=prefix))
    assert len(rows) == 2 and rows[1][0] == case.reference
    phone, summary = rows[1][7], rows[1][8]
    assert phone == "*******7301"
    assert "320826199001011234" not in summary and "13912347301" not in summary and "1234" in summary
    text = to_csv(rows).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads the Chinese as UTF-8
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert parsed[0][0] == "案件编号" and parsed[1][8].startswith("'=")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(to_xlsx(rows))).active
    assert sheet["A2"].value == case.reference and sheet["H2"].value == "*******7301"
    assert str(sheet["I2"].value).startswith("'=") and sheet.freeze_panes == "A2"


def test_who_opened_a_case_is_recorded(db, prefix):
    case = _add(db, prefix, 1)[0]
    record_access(db, "op-test", "view", case.reference)
    record_access(db, "op-test", "export", None, {"format": "csv", "cases": 1, "filter": {"q": prefix}})
    db.flush()
    latest = access_log(db, limit=2)
    assert [(a.actor, a.action, a.entity_id) for a in latest] == [("op-test", "export", None),
                                                                  ("op-test", "view", case.reference)]


def test_account_changes_are_audited_and_an_admin_cannot_lock_themself_out(db):
    admin, staff = "adm-" + uuid.uuid4().hex[:6], "op-" + uuid.uuid4().hex[:6]
    add_user(db, admin, "admin", "a-long-test-password")
    add_user(db, staff, "staff", "a-long-test-password")
    for change, role in (("disable", None), ("delete", None), ("role", "staff")):
        with pytest.raises(AccountError):
            change_account(db, admin, admin, change, role=role)
    change_account(db, admin, staff, "disable")
    entry = db.query(models.AuditEntry).filter_by(entity="staff_user", entity_id=staff).one()
    assert (entry.actor, entry.action, entry.before["active"], entry.after["active"]) == (admin, "disable", True, False)
    with pytest.raises(AccountError):
        change_account(db, admin, staff, "reset-password", password="short")


def test_login_history_of_one_account(db):
    from knowledge.staff import authenticate

    name = "op-" + uuid.uuid4().hex[:6]
    add_user(db, name, "staff", "a-long-test-password")
    db.commit()
    with pytest.raises(AccountError):
        authenticate(db, name, "wrong-password", address="198.51.100.7")
    authenticate(db, name, "a-long-test-password", address="198.51.100.7")
    history = login_history(db, name)
    assert [(e.success, e.address) for e in history] == [(True, "198.51.100.7"), (False, "198.51.100.7")]
