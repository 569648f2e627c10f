"""The emergency safety net catches danger in plain words and leaves ordinary
labour questions alone (a false alarm would bury the answer a worker needs)."""
import pytest

from knowledge.safety import categories, detect_emergency

DANGER = [
    ("我现在不想活了，欠薪四个月了", "self_harm"),
    ("欠了我十二万工程款，我今天就死在他公司门口", "self_harm"),
    ("讨不到工钱，我想跳楼", "self_harm"),
    ("包工头拿着钢管说要打死我们", "violence"),
    ("我被老板打了，现在还在厂里", "violence"),
    ("他们威胁说要找人弄死我", "violence"),
    ("老板把我们关在宿舍里不让出去", "confinement"),
    ("工头不让我们离开工地，说干完才放人", "confinement"),
    ("工友从脚手架上掉下来了流了很多血", "serious_injury"),
    ("我老公触电了，现在没有意识", "serious_injury"),
    ("工资拖欠几十万，我要砍他", "violence"),
    ("两口子吵架，我被捅了一刀，现在往医院去", "violence"),
    ("女儿三天联系不上了，她有抑郁症", "missing_person"),
]

ORDINARY = [
    "老板威胁说不签就开除我",
    "去年从脚手架摔下来骨折了，能认定工伤吗",
    "我想跳槽到别的厂",
    "打工三年没签合同",
    "老板不让我辞职",
    "公司扣押我身份证",
    "被打卡机扣了钱",
    "打官司要多少钱",
    "我是打工人，加班费怎么算",
    "死活不给钱怎么办",
    "工资被砍了一半",
    "我动手打了一下同事，公司就把我开除了",
    "左手中指在工作中被机器打了一节，能赔吗",
    "",
]


@pytest.mark.parametrize("text,category", DANGER)
def test_danger_is_caught_with_its_category(text, category):
    signal = detect_emergency(text)
    assert signal is not None, text
    assert signal.category == category
    assert signal.matched in text


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_questions_are_not_emergencies(text):
    assert detect_emergency(text) is None


def test_every_category_has_a_label():
    assert set(categories()) == {"self_harm", "violence", "confinement", "serious_injury", "missing_person"}
