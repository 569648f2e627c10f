"""The website chat widget in a real browser (Debian's Chromium driven by
Playwright) against the real web server, Rasa server and action server."""
from __future__ import annotations

import functools
import http.server
import threading

import pytest

from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


# Contexts bypass the page's Content-Security-Policy: Playwright's waits evaluate script,
# and the HTML-injection test must prove the widget's rendering is safe without CSP's help.
@pytest.fixture()
def page(browser, servers):
    context = browser.new_context(locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    page.goto(servers.web + "/")
    page.wait_for_selector(".gy-panel:not([hidden])")
    yield page
    context.close()


def _ask(page, text):
    before = page.locator(".gy-bot").count()
    page.fill("#gy-input", text)
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('.gy-bot').length > {before}", timeout=30000)
    page.wait_for_function("document.querySelector('.gy-typing').textContent === ''", timeout=30000)


def test_a_labour_question_gets_answers_and_route_cards_and_survives_a_reload(page):
    _ask(page, "老板拖欠我三个月工资怎么办")
    assert "拖欠工资" in page.locator(".gy-log").inner_text()
    _ask(page, "江苏淮安")
    for _ in range(5):
        if page.locator(".gy-card").count():
            break
        _ask(page, "跳过")
    card = page.locator(".gy-card").first
    assert card.is_visible()
    tel = card.locator("a[href^='tel:']")
    assert tel.count() == 1 and tel.get_attribute("href")[4:].isdigit()
    assert "《" in page.locator(".gy-log").inner_text()  # citations are shown
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-chat.png"), full_page=True)
    messages = page.locator(".gy-msg").count()
    page.reload()
    page.wait_for_selector(".gy-panel:not([hidden])")
    assert page.locator(".gy-msg").count() == messages
    assert page.locator(".gy-card").count() >= 1


def test_quick_reply_buttons_answer_the_question(page):
    _ask(page, "我要转人工")
    buttons = page.locator(".gy-buttons button")
    assert buttons.count() >= 2
    before = page.locator(".gy-bot").count()
    buttons.last.click()
    page.wait_for_function(f"document.querySelectorAll('.gy-bot').length > {before}", timeout=30000)


def test_html_typed_by_a_user_is_shown_as_text_and_never_runs(page):
    payload = "<script>window.__pwned = 1</script><b>粗体</b><img src=x onerror=\"window.__pwned=2\">"
    _ask(page, payload)
    assert page.evaluate("window.__pwned === undefined")
    assert page.locator(".gy-log b, .gy-log img, .gy-log script").count() == 0
    assert payload in page.locator(".gy-user").last.inner_text()


def test_when_the_assistant_cannot_be_reached_the_hotlines_are_shown(page):
    page.route("**/api/chat", lambda route: route.abort())
    page.fill("#gy-input", "你好")
    page.keyboard.press("Enter")
    alert = page.locator(".gy-alert")
    alert.wait_for(state="visible")
    page.wait_for_function("document.querySelector('.gy-alert').textContent.includes('电话')", timeout=10000)
    assert "12348" in alert.inner_text() or "12333" in alert.inner_text()


def test_the_widget_fills_a_phone_screen_and_works_by_keyboard(browser, servers):
    context = browser.new_context(viewport={"width": 375, "height": 700}, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    page.goto(servers.web + "/")
    page.wait_for_selector(".gy-panel:not([hidden])")
    width = page.evaluate("document.querySelector('.gy-panel').getBoundingClientRect().width")
    assert width >= 370
    assert page.evaluate("document.activeElement.id") == "gy-input"
    page.keyboard.press("Escape")
    assert page.locator(".gy-launcher").is_visible()
    assert page.locator(".gy-log").get_attribute("aria-live") == "polite"
    context.close()


def test_one_script_tag_embeds_the_widget_on_another_site(browser, servers, tmp_path):
    (tmp_path / "index.html").write_text(
        f'<!doctype html><html lang="zh-CN"><body><h1>某市总工会</h1>'
        f'<script src="{servers.web}/static/gongyou-widget.js" defer></script></body></html>', encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    site = http.server.ThreadingHTTPServer(("localhost", 0), handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        context = browser.new_context(locale="zh-CN", bypass_csp=True)
        page = context.new_page()
        page.goto(f"http://localhost:{site.server_address[1]}/index.html")
        page.click(".gy-launcher")
        _ask(page, "你好")
        assert "工友" in page.locator(".gy-bot").last.inner_text()
        context.close()
    finally:
        site.shutdown()


def test_clearing_the_conversation_forgets_it_on_this_device(page):
    _ask(page, "你好")
    assert page.locator(".gy-msg").count() >= 2
    page.click(".gy-clear")
    assert page.locator(".gy-msg").count() == 0
    page.reload()
    page.wait_for_selector(".gy-panel:not([hidden])")
    assert page.locator(".gy-msg").count() == 0


def test_a_worker_asks_for_documents_in_the_widget_and_downloads_them(page):
    import io

    from docx import Document as WordDocument

    for text in ("老板拖欠我三个月工资怎么办", "江苏淮安", "月薪八千", "已经不干了", "2026年10月15日"):
        _ask(page, text)
    before = page.locator(".gy-bot").count()
    page.locator(".gy-buttons button", has_text="生成文书").click()
    page.wait_for_function(f"document.querySelectorAll('.gy-bot').length > {before}", timeout=30000)
    card = page.locator(".gy-documents").last
    assert "劳动人事争议仲裁申请书" in card.inner_text() and "证据清单与时间表" in card.inner_text()
    with page.expect_download() as download:
        card.locator("a", has_text="Word").first.click()
    assert download.value.suggested_filename == "仲裁申请书.docx"
    word = WordDocument(io.BytesIO(download.value.path().read_bytes()))
    assert "请求裁决被申请人支付拖欠的劳动报酬24,000元。" in "\n".join(p.text for p in word.paragraphs)
    pdf = card.locator("a", has_text="PDF").first.get_attribute("href")
    response = page.request.get(pdf)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-documents.png"))
