"""Places resolve to official divisions with adcodes, whatever way the worker writes them."""
import pytest

from knowledge.places import find_places, most_specific
from knowledge.regions import region_index


def resolved(text):
    return [(m.entity, m.region.name if m.region else None) for m in find_places(text)]


@pytest.mark.parametrize("text", ["淮安经开区", "淮安", "江苏淮安"])
def test_huaian_examples_all_yield_jiangsu_huaian(text):
    region = most_specific(find_places(text))
    chain = [r.name for r in region_index().ancestors(region.adcode)]
    assert "淮安市" in chain and "江苏省" in chain


def test_zone_resolves_to_its_parent_city():
    region = most_specific(find_places("我在淮安经开区一个厂"))
    assert region.name == "淮安经济技术开发区"
    assert region_index().lookup_chain(region.adcode)[:3] == ["320871", "320800", "320000"]


@pytest.mark.parametrize("text, expected", [
    ("江苏", [("province", "江苏省")]),
    ("江苏省", [("province", "江苏省")]),
    ("苏", [("province", "江苏省")]),
    ("我是在粤打工的", [("province", "广东省")]),
    ("深圳南山", [("city", "深圳市"), ("district", "南山区")]),
    ("北京朝阳区", [("province", "北京市"), ("district", "朝阳区")]),
    ("老家河南，现在在上海浦东", [("province", "河南省"), ("province", "上海市"), ("district", "浦东新区")]),
    ("新疆乌鲁木齐", [("province", "新疆维吾尔自治区"), ("city", "乌鲁木齐市")]),
    ("在无为市做事", [("district", "无为市")]),
    ("天津生态城", [("district", "中新天津生态城")]),
    ("延边", [("city", "延边朝鲜族自治州")]),
])
def test_places(text, expected):
    assert resolved(text) == expected


@pytest.mark.parametrize("text", ["我姓苏", "安全帽没发", "公安局说不管", "开发区的厂", "我们红旗车间"])
def test_words_that_are_not_places(text):
    assert all(m.region is None or m.text not in ("苏", "安全", "公安", "开发", "红旗") for m in find_places(text))
    assert not [m for m in find_places(text) if m.text in ("苏", "安全", "公安", "开发", "红旗")]


@pytest.mark.parametrize("text", ["公司要延长试用期", "比如说加班不给钱", "老板会同意吗会同劳动局一起", "复兴路上的厂",
                                  "店里说小店不用交社保", "港口装卸工受伤"])
def test_everyday_words_that_are_also_county_names_are_not_places(text):
    # 延长县, 比如县, 会同县… still resolve when written with 县/区 (see test_places above).
    assert find_places(text) == []


def test_shared_district_name_is_ambiguous_without_context():
    (mention,) = find_places("鼓楼区")
    assert mention.region is None and len(mention.candidates) >= 3


def test_context_disambiguates_shared_names():
    assert resolved("南京鼓楼区")[-1] == ("district", "鼓楼区")
    region = most_specific(find_places("南京鼓楼区"))
    assert region.adcode == "320106"


def test_every_mainland_province_is_found_by_its_short_name():
    index = region_index()
    for province in index.provinces():
        if province.mainland:
            short = province.short_names[0]
            assert most_specific(find_places(f"我在{short}上班")).adcode == province.adcode, short


@pytest.mark.parametrize("text, adcodes", [("福建厦门", ["350000", "350200"]), ("我在福建厦门打工", ["350000", "350200"])])
def test_a_province_and_city_written_together_are_both_found(text, adcodes):
    from knowledge.places import find_places

    assert [m.region.adcode for m in find_places(text)] == adcodes
