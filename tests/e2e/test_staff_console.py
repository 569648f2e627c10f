"""The hotline staff console in Chromium: login, search, a calculator, a case
handed over by the bot through the REST channel, an admin import, permissions."""
from __future__ import annotations

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
    for path in ("/staff/search", "/staff/cases", "/staff/admin", "/staff/overview"):
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
    assert page.locator("svg.chart").count() == 1
    assert "江苏省" in page.locator("table.coverage").inner_text()
    # Freshness is visible: when the figures were last checked (the test clock is 2026-11-28).
    assert "2026-11核实" in page.inner_text("body")
