"""Staff lookups the way hotline operators type them: the right figures,
provisions and contacts come first, for the right place, with citations."""
from __future__ import annotations

from datetime import date

import pytest

from knowledge.search import search

ON = date(2026, 11, 28)


def top(db, query, n=3, on=ON):
    return search(db, query, on=on, limit=12).items[:n]


# (query, place the query is about, what must be among the first three results)
# The expectation is a figure key prefix ("fig:"), a route type ("route:") or a topic ("topic:").
QUERIES = [
    ("江苏 产假", "江苏省", "fig:maternity_leave"),
    ("江苏省产假多少天", "江苏省", "fig:maternity_leave.total_days"),
    ("深圳最低工资", "广东省深圳市", "fig:min_wage"),
    ("深圳 最低工资 小时", "广东省深圳市", "fig:min_wage"),
    ("上海 最低工资", "上海市", "fig:min_wage.monthly"),
    ("北京最低工资标准", "北京市", "fig:min_wage"),
    ("南京 最低工资", "江苏省南京市", "fig:min_wage"),
    ("广州最低工资", "广东省广州市", "fig:min_wage"),
    ("北京 婚假", "北京市", "fig:marriage_leave"),
    ("上海 陪产假", "上海市", "fig:paternity_leave"),
    ("北京 育儿假", "北京市", "fig:childcare_leave"),
    ("广东 高温津贴", "广东省", "fig:high_temp_allowance"),
    ("江苏高温补贴", "江苏省", "fig:high_temp_allowance"),
    ("工伤认定 时限", None, "fig:injury.worker_application_years"),
    ("工伤认定 时限", None, "fig:injury.employer_application_days"),
    ("伤残等级 补助金", None, "fig:injury.disability_subsidy_months"),
    ("经济补偿 封顶", None, "fig:compensation.cap"),
    ("经济补偿金怎么算", None, "fig:compensation"),
    ("违法解除 赔偿金", None, "fig:unlawful_termination"),
    ("试用期 多长", None, "fig:probation.max_months"),
    ("试用期工资", None, "fig:probation"),
    ("加班费 倍数", None, "fig:overtime.rate"),
    ("计薪天数 21.75", None, "fig:pay_days"),
    ("年假 几天", None, "fig:annual_leave.days"),
    ("病假 医疗期", None, "fig:medical_period"),
    ("法定节假日", None, "fig:holidays"),
    ("仲裁时效", None, "fig:arbitration.limitation_years"),
    ("仲裁 审理期限", None, "fig:arbitration"),
    ("不服仲裁 起诉", None, "fig:court"),
    ("未签合同 二倍工资", None, "fig:double_wage"),
    ("辞职 提前通知", None, "fig:resignation"),
    ("欠薪 加付赔偿金", None, "fig:wage_arrears.extra_compensation"),
    ("竞业限制 补偿", None, "fig:non_compete"),
    ("劳务派遣 比例", None, "fig:dispatch"),
    ("非全日制 工时", None, "fig:part_time"),
    ("退休年龄", None, "fig:retirement.age"),
    ("延迟退休 缴费年限", None, "fig:retirement.min_contribution_years"),
    ("哺乳时间", None, "fig:nursing"),
    ("流产假", None, "fig:miscarriage_leave"),
    ("欠薪 投诉", None, "route:labour_inspection"),
    ("淮安 仲裁委 电话", "江苏省淮安市", "route:arbitration"),
    ("深圳 仲裁 电话", "广东省深圳市", "route:arbitration"),
    ("农民工 法律援助", None, "route:legal_aid"),
    ("12348", None, "route:legal_aid"),
    ("12351", None, "route:union"),
    ("心理援助 电话", None, "route:emergency"),
    ("社保 自愿放弃", None, "topic:social_insurance"),
    ("集体合同", None, "topic:collective_bargaining"),
    ("乙肝 招聘 歧视", None, "topic:discrimination"),
    ("防护用品", None, "topic:occupational_safety"),
]


def _matches(item, expectation):
    kind, _, value = expectation.partition(":")
    if kind == "fig":
        return item.type == "figure" and item.data["key"].startswith(value)
    if kind == "route":
        return item.type == "service_point" and item.data.get("type") == value
    return item.type == "provision" and item.data.get("topic") == value


@pytest.mark.parametrize("query,place,expected", QUERIES)
def test_operator_queries_find_what_they_ask_for(db, query, place, expected):
    result = search(db, query, on=ON)
    if place:
        assert result.place_name == place
    assert any(_matches(item, expected) for item in result.items[:3]), \
        [(i.type, i.title) for i in result.items[:5]]


def test_every_figure_result_carries_its_citation_and_date(db):
    for query in ("江苏 产假", "深圳最低工资", "工伤认定 时限"):
        for item in search(db, query, on=ON).items:
            if item.type == "figure":
                assert item.data["citation"]["title"]
                assert item.data["valid_from"]


def test_a_local_figure_beats_the_national_one(db):
    items = search(db, "北京 婚假", on=ON).items
    first = next(i for i in items if i.type == "figure")
    assert first.data["jurisdiction"] == "110000"


def test_lookups_answer_for_the_date_asked(db):
    # 上海's monthly minimum wage changed on 2025-07-01 (2,690 → 2,740).
    before = next(i for i in search(db, "上海 最低工资", on=date(2025, 1, 15)).items if i.type == "figure"
                  and i.data["key"] == "min_wage.monthly.tier1")
    after = next(i for i in search(db, "上海 最低工资", on=ON).items if i.type == "figure"
                 and i.data["key"] == "min_wage.monthly.tier1")
    assert before.data["value"] == 2690
    assert after.data["value"] == 2740


def test_nonsense_and_injection_return_nothing_harmful(db):
    for query in ("", "😀", "'; DROP TABLE figures; --", "<script>alert(1)</script>", "x" * 5000):
        result = search(db, query, on=ON)
        assert isinstance(result.items, list)


@pytest.mark.parametrize("query, phrase", [("一函两书", "一函两书"), ("诉调对接", "多元化解"), ("困难职工 帮扶", "困难")])
def test_union_matters_find_their_own_rules_first(db, query, phrase):
    from knowledge.search import search

    provisions = [i for i in search(db, query).items if i.type == "provision"]
    assert provisions and (phrase in provisions[0].text or phrase in provisions[0].title), provisions[:2]


def test_a_worker_naming_a_rule_under_another_topic_still_gets_it(db):
    from actions.answers import compose

    answer = compose(db, "wage_arrears", {}, "320800", question="老板欠薪，工会能不能给他发一函两书")
    assert "一函两书" in "\n".join(m["text"] for m in answer.messages[:3])
    plain = compose(db, "wage_arrears", {}, "320800", question="老板欠薪怎么办")
    assert "一函两书" not in "\n".join(m["text"] for m in plain.messages)


def test_coverage_counts_a_maternity_extension_set_in_months(db):
    from knowledge.coverage import coverage

    henan = coverage(db)["河南省"]
    assert henan["maternity_leave"].present and "3" in henan["maternity_leave"].text
    assert henan["paternity_leave"].present
