"""Reading workers' text: normalisation, numbers, money, durations, dates."""
from datetime import date

import pytest

from knowledge.text.normalise import normalise, normalise_text
from knowledge.text.numbers import parse_number
from knowledge.text.quantities import (
    find_dates,
    find_durations,
    find_money,
    parse_date,
    parse_duration_months,
    parse_money,
)

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize("raw, expected", [
    ("老闆拖欠薪資三個月", "老板拖欠薪资三个月"),
    ("勞動仲裁怎麼申請", "劳动仲裁怎么申请"),
    ("工资５０００元", "工资5000元"),
    ("ＡＢＣ　公司", "ABC 公司"),
    ("  老板   跑了  ", "老板 跑了"),
    ("老板欠钱😡😡不给👍🏻", "老板欠钱不给"),
    ("1️⃣号车间", "1号车间"),
    ("还钱！！？", "还钱！！？"),
    ("", ""),
    ("😀😀😀", ""),
])
def test_normalise(raw, expected):
    assert normalise_text(raw) == expected


def test_normalise_keeps_offsets_for_entities():
    raw = "😀 我在淮安"
    at = raw.index("淮安")
    n = normalise(raw)
    start, end = n.map_span(at, at + 2)
    assert n.text[start:end] == "淮安"


def test_very_long_text_keeps_start_and_end():
    text = "开头" + "啊" * 20000 + "怎么办"
    out = normalise_text(text, max_chars=100)
    assert len(out) == 100 and out.startswith("开头") and out.endswith("怎么办")


@pytest.mark.parametrize("text, value", [
    ("五千", 5000), ("一万二", 12000), ("1.5万", 15000), ("两千八", 2800), ("三千五", 3500),
    ("一万零五百", 10500), ("2万5", 25000), ("一点五万", 15000), ("5k", 5000), ("8,000", 8000),
    ("十二", 12), ("二十", 20), ("一百二十", 120), ("十万", 100000),
])
def test_parse_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "很多", "abc", "三四"])
def test_parse_number_refuses_non_numbers(text):
    assert parse_number(text) is None


@pytest.mark.parametrize("text, value, approx", [
    ("五千", 5000.0, False), ("1.5万", 15000.0, False), ("５０００元", 5000.0, False), ("5000块钱", 5000.0, False),
    ("八千多", 8000.0, True), ("万把", 10000.0, True), ("三四千", 3000.0, True), ("一万二", 12000.0, False),
    ("月薪8000", 8000.0, False),
])
def test_parse_money(text, value, approx):
    q = parse_money(normalise_text(text))
    assert q is not None and q.value == value and q.approximate is approx


def test_find_money_uses_units_and_context():
    found = find_money("月薪8000元，老板欠了我两万多，还扣了我500块，第3条不算")
    assert [q.value for q in found] == [8000.0, 20000.0, 500.0]


@pytest.mark.parametrize("text, months", [
    ("三年半", 42), ("18个月", 18), ("两年多", 24), ("半年", 6), ("一年零三个月", 15), ("3年", 36),
    ("八个月", 8), ("干了三年多", 36), ("一年半", 18),
])
def test_parse_duration(text, months):
    assert parse_duration_months(text).value == months


def test_find_durations_skips_dates():
    found = find_durations("我在厂里干了三年半，试用期6个月，去年3月入职")
    assert [(q.text, q.value) for q in found] == [("三年半", 42.0), ("6个月", 6.0)]


@pytest.mark.parametrize("text, iso, precision", [
    ("去年3月", "2025-03-01", "month"), ("上个月15号", "2026-10-15", "day"), ("2023年5月1号", "2023-05-01", "day"),
    ("2023.5.1", "2023-05-01", "day"), ("前天", "2026-11-22", "day"), ("12月", "2025-12-01", "month"),
    ("三个月前", "2026-08-24", "month"), ("二零二三年五月", "2023-05-01", "month"), ("今年年初", "2026-01-01", "month"),
])
def test_parse_date(text, iso, precision):
    d = parse_date(text, TODAY)
    assert d.iso == iso and d.precision == precision


def test_find_dates_in_a_story():
    found = find_dates("我去年3月入职，上个月15号被辞退", TODAY)
    assert [d.iso for d in found] == ["2025-03-01", "2026-10-15"]


@pytest.mark.parametrize("text", ["老板拖欠薪资三个月", "欠了我两年工资", "扣了3天工资", "罚了我2次",
                                  "期间扣我50%工资正常吗", "扣了30％的工资", "工资一分不发", "工资一直是最低的",
                                  "工资差一半"])
def test_counts_after_money_words_are_not_money(text):
    assert find_money(text) == []


def test_a_lone_surrogate_is_dropped_not_a_crash():
    from knowledge.text.normalise import normalise

    result = normalise("\ud83d老闆欠薪")
    assert result.text == "老板欠薪" and result.source_index == (1, 2, 3, 4)


def test_a_very_long_message_keeps_its_head_and_tail_with_their_positions():
    from knowledge.text.normalise import normalise

    text = "开头" + "薪資" * 50_000 + "怎么办"
    result = normalise(text, max_chars=1000)
    assert len(result.text) == 1000 and result.text.startswith("开头薪资") and result.text.endswith("怎么办")
    assert result.source_index[-1] == len(text) - 1


@pytest.mark.parametrize("text", ["2018年入职", "我2018年9月入职", "18年入职的", "18年底走的", "17年3月进厂", "06年到16年的社保",
                                  "原单位没有给交93年的保险", "我80年入伍"])
def test_a_calendar_year_is_not_a_length_of_service(text):
    # "2018年入职" once became 2018 years of service in the compensation calculator.
    assert find_durations(text) == []


@pytest.mark.parametrize("text,months", [("干了18年", 216), ("这18年来一直在厂里", 216), ("工作12年有几天年假", 144)])
def test_years_of_work_are_still_lengths(text, months):
    assert [round(q.value) for q in find_durations(text)] == [months]
