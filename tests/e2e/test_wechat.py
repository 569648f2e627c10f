"""The WeChat Official Account channel, spoken to with real protocol messages:
signed (and AES-encrypted) XML posted to /webhooks/wechat/webhook of the running
Rasa server; replies checked as WeChat would read them."""
from __future__ import annotations

import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

import pytest
from wechatpy.crypto import WeChatCrypto

from bot.channels.wechat import signature_of
from tests.e2e.wechat_api import msg_id as _msg_id
from tests.e2e.wechat_api import new_openid as _openid
from tests.e2e.wechat_api import reply_content as _content
from tests.e2e.wechat_api import signed_query as _query
from tests.e2e.wechat_api import text_xml as _text_xml
from tests.e2e.wechat_api import wechat_time

pytestmark = pytest.mark.e2e
TOKEN = os.environ["WECHAT_TOKEN"]
APPID = os.environ["WECHAT_APPID"]


def _url(servers, query):
    return f"{servers.rasa}/webhooks/wechat/webhook?{urllib.parse.urlencode(query)}"


def _post(servers, xml: str, query=None) -> str:
    request = urllib.request.Request(_url(servers, query or _query()), data=xml.encode("utf-8"),
                                     headers={"Content-Type": "text/xml"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return resp.read().decode("utf-8")



def test_url_verification_echoes_only_for_a_correct_signature(servers):
    query = _query(echostr="hello-wechat")
    with urllib.request.urlopen(_url(servers, query), timeout=10) as resp:
        assert resp.read().decode() == "hello-wechat"
    bad = {**query, "signature": "0" * 40}
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(_url(servers, bad), timeout=10)
    assert error.value.code == 403


def test_a_stale_timestamp_is_refused(servers):
    with pytest.raises(urllib.error.HTTPError) as error:
        _post(servers, _text_xml(_openid(), "你好", 1), _query(timestamp=wechat_time() - 3600))
    assert error.value.code == 403


def test_a_text_message_gets_a_passive_text_reply(servers, wechat_api):
    openid = _openid()
    reply = _post(servers, _text_xml(openid, "你好", _msg_id()))
    root = ET.fromstring(reply)
    assert root.findtext("ToUserName") == openid
    assert root.findtext("MsgType") == "text"
    assert "工友" in root.findtext("Content")


def test_a_retried_message_is_answered_once(servers, wechat_api):
    openid, msg_id = _openid(), _msg_id()
    first = _post(servers, _text_xml(openid, "你好", msg_id))
    again = _post(servers, _text_xml(openid, "你好", msg_id))
    assert "工友" in _content(first)
    assert again == "success"


def test_subscribing_gets_a_welcome(servers, wechat_api):
    openid = _openid()
    xml = (f"<xml><ToUserName><![CDATA[gh_gongyou]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
           f"<CreateTime>{wechat_time()}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
           f"<Event><![CDATA[subscribe]]></Event></xml>")
    assert "工友" in _content(_post(servers, xml))


def _voice_xml(openid: str, recognition: str = "") -> str:
    heard = f"<Recognition><![CDATA[{recognition}]]></Recognition>" if recognition else ""
    return (f"<xml><ToUserName><![CDATA[gh_gongyou]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{wechat_time()}</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
            f"<MediaId><![CDATA[media1]]></MediaId><Format><![CDATA[amr]]></Format>{heard}"
            f"<MsgId>{_msg_id()}</MsgId></xml>")


def test_a_voice_message_without_recognition_gets_a_kind_note_asking_for_text(servers, wechat_api):
    reply = _content(_post(servers, _voice_xml(_openid())))
    assert "语音" in reply and "文字" in reply and "转人工" in reply


def test_a_voice_message_with_wechats_recognition_is_answered_as_text(servers, wechat_api):
    reply = _content(_post(servers, _voice_xml(_openid(), "老板拖欠我三个月工资怎么办")))
    assert "劳动保障监察" in reply or "拖欠" in reply, reply
    assert "听不到" not in reply


def test_safe_mode_messages_are_decrypted_and_replies_encrypted(servers, wechat_api):
    crypto = WeChatCrypto(TOKEN, os.environ["WECHAT_AES_KEY"], APPID)
    openid, nonce, timestamp = _openid(), "n" + uuid.uuid4().hex[:8], str(wechat_time())
    envelope = crypto.encrypt_message(_text_xml(openid, "你好", _msg_id()), nonce, timestamp)
    root = ET.fromstring(envelope)
    query = {"timestamp": timestamp, "nonce": nonce, "signature": signature_of(TOKEN, timestamp, nonce),
             "encrypt_type": "aes", "msg_signature": root.findtext("MsgSignature")}
    inner = ET.fromstring(envelope).findtext("Encrypt")
    body = f"<xml><ToUserName><![CDATA[gh_gongyou]]></ToUserName><Encrypt><![CDATA[{inner}]]></Encrypt></xml>"
    reply = _post(servers, body, query)
    reply_root = ET.fromstring(reply)
    decrypted = crypto.decrypt_message(reply, reply_root.findtext("MsgSignature"), reply_root.findtext("TimeStamp"),
                                       reply_root.findtext("Nonce"))
    assert "工友" in _content(decrypted)


def test_long_answers_are_split_and_the_rest_sent_by_the_customer_service_api(servers, wechat_api):
    openid = _openid()
    first = _content(_post(servers, _text_xml(
        openid, "我在深圳干了三年半，月薪一万二，上个月被公司辞退了，能赔多少", _msg_id())))
    assert 0 < len(first) <= 600
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not wechat_api.messages_to(openid):
        time.sleep(0.2)
    rest = wechat_api.messages_to(openid)
    assert rest, "the rest of the answer never reached the customer-service API"
    assert all(len(piece) <= 600 for piece in rest)
    whole = first + "".join(rest)
    assert "48,000" in whole and "第四十七条" in whole
    assert wechat_api.tokens_issued >= 1


def test_buttons_become_numbered_choices_a_digit_can_answer(servers, wechat_api):
    openid = _openid()
    reply = _content(_post(servers, _text_xml(openid, "我要转人工", _msg_id())))
    assert "回复数字选择" in reply and "1." in reply
    follow = _content(_post(servers, _text_xml(openid, "2", _msg_id())))
    assert follow  # the digit was read as the second choice (no callback) and answered
    assert "号码" not in follow  # choice 2 declines the callback, so no phone number is asked for


def test_a_bad_signature_on_post_is_refused(servers):
    query = {**_query(), "signature": "f" * 40}
    with pytest.raises(urllib.error.HTTPError) as error:
        _post(servers, _text_xml(_openid(), "你好", 99), query)
    assert error.value.code == 403


def _wait_for(wechat_api, openid: str, seconds: float = 20) -> list:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not wechat_api.messages_to(openid):
        time.sleep(0.2)
    return wechat_api.messages_to(openid)


def test_an_expired_access_token_is_fetched_again_and_the_answer_still_arrives(servers, wechat_api):
    question = "我在深圳干了三年半，月薪一万二，上个月被公司辞退了，能赔多少"
    first = _openid()
    _post(servers, _text_xml(first, question, _msg_id()))
    assert _wait_for(wechat_api, first)
    issued, refused = wechat_api.tokens_issued, wechat_api.refused
    wechat_api.expire()  # two hours later, as far as WeChat is concerned
    second = _openid()
    _post(servers, _text_xml(second, question, _msg_id()))
    assert _wait_for(wechat_api, second), "the rest of the answer was lost when the token expired"
    # Refused once with 42001, fetched again once, delivered: nothing lost.
    assert wechat_api.refused == refused + 1 and wechat_api.tokens_issued == issued + 1


def test_the_channel_asks_for_the_stable_token_not_a_new_one_each_time(servers, wechat_api):
    calls = wechat_api.stable_calls
    issued = wechat_api.tokens_issued
    for _ in range(3):
        openid = _openid()
        _post(servers, _text_xml(openid, "我在深圳干了三年半，月薪一万二，上个月被公司辞退了，能赔多少", _msg_id()))
        assert _wait_for(wechat_api, openid)
    # The shared token is reused: no new token, and at most one call to stable_token.
    assert wechat_api.tokens_issued == issued and wechat_api.stable_calls - calls <= 1


def test_documents_reach_a_wechat_user_as_a_link_that_opens(servers, wechat_api):
    import re

    openid = _openid()
    for text in ("老板拖欠我三个月工资怎么办", "江苏淮安", "月薪八千", "已经不干了", "2026年10月15日"):
        last = _content(_post(servers, _text_xml(openid, text, _msg_id())))
    choices = dict(re.findall(r"(\d)\. (\S+)", last))
    digit = next(k for k, v in choices.items() if v == "生成文书")
    reply = _content(_post(servers, _text_xml(openid, digit, _msg_id())))
    whole = reply + "".join(_wait_for(wechat_api, openid) if "/documents/" not in reply else [])
    link = re.search(r"https?://\S+/documents/[A-Za-z0-9_=-]+", whole)
    assert link, whole
    with urllib.request.urlopen(link.group(0), timeout=30) as page:
        html = page.read().decode("utf-8")
    assert "劳动人事争议仲裁申请书" in html and "24小时内有效" in html
