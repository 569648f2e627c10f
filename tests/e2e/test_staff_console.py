"""The hotline staff console in Chromium: login, search, a calculator, a case
handed over by the bot through the REST channel, an admin import, permissions."""
from __future__ import annotations

import io
import re
import uuid

import pytest

pytestmark = pytest.mark.e2e
PASSWORD = "a-long-test-password"


@pytest.fixture(scope="module")
def accounts(kb_url):
    from knowledge.db import session_scope
    from knowledge.staff import add_user

    names = {"staff": "op-" + uuid.uuid4().hex[:6], "admin": "adm-" + uuid.uuid4().hex[:6]}
    with session_scope() as session:
        for role, name in names.items():
            add_user(session, name, role, PASSWORD)
    return names


def _login(browser, servers, name, password=PASSWORD):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(servers.web + "/staff/login")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    return page


def test_no_page_without_login(browser, servers):
    page = browser.new_context().new_page()
    for path in ("/staff/search", "/staff/cases", "/staff/cases.csv", "/staff/cases.xlsx", "/staff/admin",
                 "/staff/admin/accounts", "/staff/overview"):
        page.goto(servers.web + path)
        assert page.url.endswith("/staff/login"), path


def test_a_wrong_password_is_refused(browser, servers, accounts):
    page = _login(browser, servers, accounts["staff"], "not-the-password")
    assert page.url.endswith("/staff/login")
    assert "用户名或密码不对" in page.locator(".error").inner_text()


def test_search_as_an_operator_types(browser, servers, accounts):
    page = _login(browser, servers, accounts["staff"])
    page.fill("#q", "江苏 产假")
    page.keyboard.press("Enter")
    page.wait_for_selector(".results li")
    text = page.locator(".results").inner_text()
    assert "158天" in text and "依据" in text
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "staff-console.png"), full_page=False)
    page.fill("#q", "深圳 仲裁 电话")
    page.keyboard.press("Enter")
    page.wait_for_selector(".result-service_point a[href^='tel:']")


def test_a_calculator_shows_its_working_and_provisions(browser, servers, accounts):
    page = _login(browser, servers, accounts["staff"])
    page.goto(servers.web + "/staff/calc?kind=compensation")
    page.fill("#place", "江苏淮安")
    page.fill("#p-months", "三年半")
    page.fill("#p-wage", "6000")
    page.click("button[name=run]")
    result = page.locator(".printable").inner_text()
    assert "24,000" in result  # 4 months × 6,000
    assert "第四十七条" in result


def test_a_case_from_a_real_bot_handoff_is_picked_up(browser, servers, accounts, sender):
    text = servers.text(sender, "我在淮安，老板欠了我三个月工资，我要找工作人员")
    reference = re.search(r"GY-[0-9A-Z-]+", text)
    if reference is None:  # the bot first answered the wage question; ask for a human now
        reference = re.search(r"GY-[0-9A-Z-]+", servers.text(sender, "转人工"))
    assert reference
    page = _login(browser, servers, accounts["staff"])
    page.goto(servers.web + "/staff/cases")
    assert reference.group(0) in page.content(), page.content()[:3000]
    page.click(f"text={reference.group(0)}")
    assert reference.group(0) in page.locator("h1").inner_text()
    assert "新建" in page.locator("#case-status").inner_text()
    page.select_option("#to", "in_progress")
    page.fill("#status-note", "已电话联系")
    page.click("button:has-text('更新状态')")
    assert "处理中" in page.locator("#case-status").inner_text()
    assert "已电话联系" in page.locator(".events").inner_text()
    assert accounts["staff"] in page.locator(".events").inner_text()


def test_staff_cannot_reach_admin_pages(browser, servers, accounts):
    page = _login(browser, servers, accounts["staff"])
    response = page.goto(servers.web + "/staff/admin")
    assert response.status == 403


def test_a_form_post_without_the_csrf_token_is_refused(browser, servers, accounts):
    page = _login(browser, servers, accounts["admin"])
    response = page.request.post(servers.web + "/staff/admin/figures", form={"key": "min_wage.monthly.tier1"})
    assert response.status == 403


def test_admin_imports_stations_with_a_row_by_row_report(browser, servers, accounts, tmp_path):
    csv_file = tmp_path / "stations.csv"
    csv_file.write_text(
        "route,jurisdiction,name,address,phone,hours,url,verified,source,note\n"
        "mediation,320800,淮安市某街道劳动关系服务站,淮安市某路1号,0517-00000000,工作日,,2026-11-28,测试数据,\n"
        "no_such_route,320800,错误的一行,,0517-11111111,,,2026-11-28,测试数据,\n", encoding="utf-8")
    page = _login(browser, servers, accounts["admin"])
    page.goto(servers.web + "/staff/admin")
    page.set_input_files("#file", str(csv_file))
    page.click("button:has-text('导入')")
    report = page.locator("#import-report").inner_text()
    assert "新增 1" in report and "拒绝 1" in report
    assert ":3:" in report  # the rejected row is named by its line
    assert "import_add" in page.locator("table").last.inner_text()  # audited


def test_admin_adds_a_dated_figure_and_the_old_one_keeps_its_period(browser, servers, accounts):
    page = _login(browser, servers, accounts["admin"])
    page.goto(servers.web + "/staff/admin")
    page.select_option("#key", "min_wage.monthly.tier1")
    page.fill("#fplace", "上海市")
    page.fill("#value", "2900")
    page.fill("#valid_from", "2027-07-01")
    page.fill("#title", "测试：上海市调整最低工资标准的通知")
    page.fill("#source", "测试来源")
    page.click("button:has-text('保存')")
    assert "已保存" in page.locator("#figure-message").inner_text()
    page.goto(servers.web + "/staff/search?q=上海+最低工资&date=2027-08-01")
    assert "2900" in page.locator(".results").inner_text()
    page.goto(servers.web + "/staff/search?q=上海+最低工资&date=2026-11-28")
    assert "2740" in page.locator(".results").inner_text()


def test_overview_shows_cases_and_coverage(browser, servers, accounts):
    page = _login(browser, servers, accounts["staff"])
    page.goto(servers.web + "/staff/overview")
    assert page.locator("svg.chart.grid").count() == 1  # coverage, even before any case
    # The coverage grid and the table behind it agree on every gap.
    assert page.locator("svg.chart.grid rect.gap").count() == page.locator("table.coverage td.gap").count() > 0
    assert "江苏省" in page.locator("table.coverage").text_content()
    # Freshness is visible: when the figures were last checked (the test clock is 2026-11-28).
    assert "2026-11核实" in page.inner_text("body")


@pytest.fixture(scope="module")
def many_cases(kb_url):
    """55 cases written as the bot writes them, with references that a search finds exactly."""
    from datetime import datetime, timedelta

    from knowledge.cases import CaseDraft, _insert
    from knowledge.db import session_scope

    prefix = "GY-E" + uuid.uuid4().hex[:6].upper()
    with session_scope() as session:
        for i in range(55):
            _insert(session, CaseDraft(reason="requested", sender_id=f"e2e-{prefix}-{i}", topic="wage_arrears",
                                       place_adcode="320803" if i % 2 else "440300", reference=f"{prefix}{i:03d}",
                                       callback_phone=f"1391234{i:04d}", consent=True,
                                       created_at=(datetime(2026, 6, 1) + timedelta(hours=i)).isoformat()))
    return prefix


def test_the_queue_searches_pages_and_exports_masked(browser, servers, accounts, many_cases):
    from openpyxl import load_workbook

    page = _login(browser, servers, accounts["staff"])
    page.goto(servers.web + "/staff/cases")
    page.fill("#q", many_cases)
    page.click("button:has-text('筛选')")
    assert "共 55 件" in page.locator("#case-count").inner_text()
    assert page.locator("#page-of").inner_text() == "第 1 / 2 页"
    assert page.locator("table.cases tbody tr").count() == 50
    page.click("#next-page")
    assert page.locator("#page-of").inner_text() == "第 2 / 2 页" and f"q={many_cases}" in page.url
    assert page.locator("table.cases tbody tr").count() == 5
    # A place narrows the same search; the filters stay in the URL, so the link can be shared.
    page.fill("#place", "淮安")
    page.click("button:has-text('筛选')")
    assert "共 27 件" in page.locator("#case-count").inner_text() and "place=" in page.url
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 27 and all("淮安市" in r[6] for r in rows)
    assert all(r[7].startswith("*******") and len(r[7]) == 11 for r in rows)  # only the last four digits
    with page.expect_download() as download:
        page.click("#export-csv")
    assert download.value.suggested_filename.endswith(".csv")
    # Searching by the last four digits of the callback number finds that worker's case.
    page.goto(servers.web + "/staff/cases")
    page.fill("#q", "0007")
    page.click("button:has-text('筛选')")
    assert f"{many_cases}007" in page.locator("table.cases").inner_text()


def test_opening_printing_and_exporting_cases_is_recorded_for_the_admin(browser, servers, accounts, many_cases):
    page = _login(browser, servers, accounts["staff"])
    reference = f"{many_cases}003"
    page.goto(servers.web + f"/staff/cases/{reference}")
    with page.context.expect_page() as printed:
        page.click("#print-view")
    view = printed.value
    view.wait_for_load_state()
    assert reference in view.locator("h1").inner_text() and view.locator("#print").is_visible()
    view.emulate_media(media="print")
    assert not view.locator("#print").is_visible()  # the button is not printed
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    view.pdf(path=str(ARTIFACTS / "case-print.pdf"))
    admin = _login(browser, servers, accounts["admin"])
    admin.goto(servers.web + "/staff/admin/accounts")
    log = admin.locator("#case-access").inner_text()
    assert f"{accounts['staff']}\t查看\t{reference}" in log and f"{accounts['staff']}\t打印\t{reference}" in log


def test_an_admin_disables_an_account_and_its_open_page_closes(browser, servers, accounts):
    from knowledge.db import session_scope
    from knowledge.staff import add_user

    name = "op-" + uuid.uuid4().hex[:6]
    with session_scope() as session:
        add_user(session, name, "staff", PASSWORD)
    worker = _login(browser, servers, name)
    worker.goto(servers.web + "/staff/cases")
    assert worker.url.endswith("/staff/cases")
    admin = _login(browser, servers, accounts["admin"])
    admin.goto(servers.web + "/staff/admin/accounts")
    admin.locator(f"tr[data-name='{name}'] button:has-text('停用')").click()
    assert "已停用" in admin.locator("#account-message").inner_text()
    assert "已停用" in admin.locator(f"tr[data-name='{name}']").inner_text()
    worker.goto(servers.web + "/staff/cases")
    assert "/staff/login" in worker.url
    # The login history shows the account's successful login and the refused one after it was disabled.
    _login(browser, servers, name)
    admin.goto(servers.web + f"/staff/admin/accounts?name={name}")
    history = admin.locator("#logins").inner_text()
    assert "成功" in history and "已停用" in history
    # An admin cannot disable their own account from the console.
    admin.locator(f"tr[data-name='{accounts['admin']}'] button:has-text('停用')").click()
    assert "不能停用" in admin.locator("#account-error").inner_text()


def test_overview_charts_read_at_a_glance(browser, servers, accounts, many_cases):
    page = _login(browser, servers, accounts["staff"])
    page.set_viewport_size({"width": 1280, "height": 1800})
    page.goto(servers.web + "/staff/overview")
    assert page.locator("svg.chart").count() == 4  # by topic, by month, by province, coverage
    # June 2026 holds exactly the 55 cases written for this test: its column says so on hover.
    june = page.locator("svg.chart.columns rect title", has_text="2026-06").all_text_contents()
    assert june == ["2026-06 拖欠工资：55"], june
    provinces = dict(t.split("：") for t in page.locator("svg.chart.bars").nth(1).locator("title").all_text_contents())
    assert int(provinces["广东省"]) >= 28 and int(provinces["江苏省"]) >= 27
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "staff-overview.png"), full_page=True)


def test_staff_generate_a_union_opinion_from_a_case_with_their_edits(browser, servers, accounts, many_cases):
    from docx import Document as WordDocument

    page = _login(browser, servers, accounts["staff"])
    reference = f"{many_cases}010"
    page.goto(servers.web + f"/staff/cases/{reference}")
    page.select_option("#kind", "union_opinion")
    page.fill("#doc-employer", "深圳某某电子有限公司")
    page.fill("#workers", "12")
    with page.expect_download() as download:
        page.click("#documents button[type=submit]")
    assert download.value.suggested_filename == f"{reference}-意见书.docx"
    word = WordDocument(io.BytesIO(download.value.path().read_bytes()))
    text = "\n".join(p.text for p in word.paragraphs)
    assert "工会劳动法律监督意见书" in text and "深圳某某电子有限公司" in text and "12名职工" in text
    assert "第二十二条、第二十三条" in text and f"案件编号：{reference}" in text
    admin = _login(browser, servers, accounts["admin"])
    admin.goto(servers.web + "/staff/admin/accounts")
    assert f"{accounts['staff']}\t生成文书\t{reference}（union_opinion）" in admin.locator("#case-access").inner_text()
