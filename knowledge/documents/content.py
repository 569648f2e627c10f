"""What each document says, as plain blocks, built from a case's facts and the knowledge base.

Nothing is invented: a name, date or amount that is not known is printed as a blank line to
fill by hand, and an amount that cannot be computed says why. The words and the claims per
topic are data (``knowledge/data/documents.yml``); every rule is cited as the knowledge base
cites it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import yaml
from sqlalchemy.orm import Session

from knowledge import queries, topics
from knowledge.calculators.base import CalcResult, Rules, number, yuan
from knowledge.regions import region_index
from knowledge.taxonomy import TOPICS

DOCUMENTS_FILE = Path(__file__).resolve().parents[1] / "data" / "documents.yml"


@lru_cache(maxsize=1)
def spec() -> Dict[str, Any]:
    """The document specification (``knowledge/data/documents.yml``)."""
    return dict(yaml.safe_load(DOCUMENTS_FILE.read_text(encoding="utf-8")))


def _word(name: str) -> str:
    return str(spec()["words"][name])


# --- blocks --------------------------------------------------------------------------------

@dataclass
class Heading:
    text: str


@dataclass
class Para:
    text: str
    indent: bool = True


@dataclass
class Fields:
    rows: List[Tuple[str, str]]


@dataclass
class Numbered:
    items: List[str]


@dataclass
class Table:
    header: List[str]
    rows: List[List[str]]


@dataclass
class Note:
    text: str


@dataclass
class Closing:
    """The addressee line, then the signature and date lines on the right."""

    to: str
    signer: str
    date_text: str


Block = Union[Heading, Para, Fields, Numbered, Table, Note, Closing]


@dataclass
class Document:
    """A document: its kind, title and blocks; ``blanks`` counts the lines left to fill by hand."""

    kind: str
    title: str
    file_stem: str
    blocks: List[Block] = field(default_factory=list)
    blanks: int = 0

    def text(self) -> str:
        """The whole document as plain text (for previews and tests)."""
        out = [self.title]
        for b in self.blocks:
            if isinstance(b, (Heading, Para, Note)):
                out.append(b.text)
            elif isinstance(b, Fields):
                out += [f"{k}：{v}" for k, v in b.rows]
            elif isinstance(b, Numbered):
                out += [f"{i}. {t}" for i, t in enumerate(b.items, 1)]
            elif isinstance(b, Table):
                out += ["\t".join(b.header)] + ["\t".join(r) for r in b.rows]
            else:
                out += [b.to, b.signer, b.date_text]
        return "\n".join(out)


# --- the case ------------------------------------------------------------------------------

@dataclass
class Parties:
    """What only the worker (or staff) can tell, each optional: unknown ones stay blank."""

    name: str = ""
    gender: str = ""
    birth: str = ""
    id_number: str = ""   # only if the worker chooses to give it
    phone: str = ""
    address: str = ""
    job: str = ""
    employer: str = ""
    employer_address: str = ""
    employer_rep: str = ""
    employer_rep_title: str = ""
    workers: int = 1      # union letters about several workers' cases against one employer


@dataclass
class CaseFacts:
    """A case as the documents need it."""

    topic: Optional[str]
    adcode: Optional[str]
    facts: Mapping[str, Any]
    on: date
    parties: Parties = field(default_factory=Parties)
    reference: str = ""


def available_kinds(topic: Optional[str], staff: bool = False) -> List[str]:
    """The documents that apply to ``topic`` (the union's letters only for staff)."""
    return [k for k, v in spec()["kinds"].items()
            if topic in v["topics"] and (staff or not v.get("staff_only"))]


# --- pieces ---------------------------------------------------------------------------------

class _Filler:
    """Fills placeholders, counting what had to be left blank."""

    def __init__(self) -> None:
        self.blanks = 0

    def value(self, value: Any, blank: str = "blank") -> str:
        if value is None or value == "" or not topics.known(value):
            self.blanks += 1
            return _word(blank)
        return str(value)


def _place_name(adcode: Optional[str]) -> str:
    return region_index().full_name(adcode) if adcode and region_index().get(adcode) else ""


def _date_text(value: Any) -> Optional[str]:
    if not topics.known(value):
        return None
    try:
        d = date.fromisoformat(str(value))
    except ValueError:
        return None
    return f"{d.year}年{d.month}月{d.day}日"


def _applies(item: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    when = item.get("when") or {}
    unless = item.get("unless") or {}
    return (all(facts.get(k) in v for k, v in when.items())
            and not any(facts.get(k) in v for k, v in unless.items()))


def _citations(session: Session, ids: Sequence[str]) -> List[queries.ProvisionAnswer]:
    out = []
    for pid in ids:
        found = queries.provision(session, pid)
        if found is not None:
            out.append(found)
    return out


def _cite(answers: Sequence[queries.ProvisionAnswer]) -> str:
    return "；".join(a.citation.text() for a in answers)


@dataclass
class Claim:
    text: str
    amount: Optional[float]
    missing: str
    provisions: List[queries.ProvisionAnswer]
    breach: str
    order: str
    order_provisions: List[queries.ProvisionAnswer]


def claims(session: Session, case: CaseFacts, result: Optional[CalcResult], filler: _Filler) -> List[Claim]:
    """The topic's claims that apply to the facts, with the calculated amount where there is one."""
    out = []
    for item in spec()["claims"].get(case.topic or "", []):
        if not _applies(item, case.facts):
            continue
        amount = result.amount if item.get("amount") == "calculation" and result is not None \
            and result.unit == "yuan" else None
        if amount is not None:
            money = yuan(amount)
        elif "{amount}" in item["text"]:
            money = filler.value(None) + "元"
        else:
            money = ""
        out.append(Claim(item["text"].format(amount=money), amount, "" if amount is not None else item.get("missing", ""),
                         _citations(session, item.get("provisions") or ()), item.get("breach", ""),
                         item.get("order", ""), _citations(session, item.get("order_provisions") or ())))
    return out


def _provisions_of(found: Sequence[Claim]) -> List[queries.ProvisionAnswer]:
    """Every provision the claims rest on or ask an authority to apply, each once, in order."""
    by_id = {p.id: p for c in found for p in c.provisions + c.order_provisions}
    return list(by_id.values())


def _story(case: CaseFacts, result: Optional[CalcResult], filler: _Filler) -> str:
    """What happened, from the facts: when the work began, the wage, what went wrong and when."""
    f: Dict[str, Any] = {k: v for k, v in case.facts.items() if topics.known(v)}
    p = case.parties
    start = _date_text(f.get("start_date"))
    wage = f.get("monthly_wage")
    parts = [f"申请人于{start or filler.value(None, 'short_blank') + '年' + _word('short_blank') + '月'}"
             f"入职被申请人处，从事{filler.value(p.job, 'short_blank')}工作，"
             f"月工资{yuan(float(wage)) if wage is not None else filler.value(None, 'short_blank') + '元'}。"]
    topic = case.topic
    if topic == "wage_arrears":
        months = f.get("arrears_months")
        total = "，合计" + yuan(result.amount) if result is not None and result.amount else ""
        parts.append(f"被申请人拖欠申请人工资{number(float(months)) + '个月' if months is not None else ''}"
                     f"{total}，经申请人多次催要，至今未支付。")
    elif topic == "overtime":
        hours = [(f.get("workday_overtime_hours"), "工作日延长工作时间"), (f.get("rest_day_overtime_hours"), "休息日加班")]
        said = "、".join(f"{label}每月约{number(float(h))}小时" for h, label in hours if h is not None and float(h) > 0)
        parts.append(f"被申请人安排申请人加班（{said or '加班时长见考勤记录'}），未依法支付加班工资。")
    elif topic == "labor_contract":
        parts.append("被申请人自用工之日起超过一个月未与申请人订立书面劳动合同。")
    elif topic in ("dismissal", "resignation"):
        ended = _date_text(f.get("end_date")) or filler.value(None)
        how = f.get("how_ended")
        if topic == "dismissal" and how == "unlawful":
            parts.append(f"{ended}，被申请人在没有法定理由的情况下解除与申请人的劳动合同。")
        elif topic == "resignation" and how == "forced":
            parts.append(f"因被申请人未依法履行义务，申请人于{ended}通知被申请人解除劳动合同。")
        else:
            parts.append(f"{ended}，双方劳动关系解除，被申请人未依法支付经济补偿。")
        if topics.known(f.get("service_months")):
            parts.append(f"申请人在被申请人处连续工作约{number(float(f['service_months']))}个月。")
    elif topic == "social_insurance":
        parts.append("被申请人未依法为申请人办理社会保险登记、缴纳社会保险费。")
    elif topic == "work_injury":
        parts.append(f"申请人于{_date_text(f.get('injury_date')) or filler.value(None)}在工作中受伤。")
    elif topic == "minimum_wage":
        parts.append("申请人在法定工作时间内提供了正常劳动，被申请人支付的工资低于当地最低工资标准。")
    left = _date_text(f.get("left_date"))
    if left and topic == "wage_arrears":
        parts.append(f"申请人已于{left}离职。")
    return "".join(parts)


def _commission(session: Session, adcode: Optional[str], route: str) -> Optional[str]:
    """The city's or county's office for ``route``, if the knowledge base has it.

    Never a province's (in Beijing or Shanghai the municipal commission takes only some cases;
    the district's is usually the one) nor the national hotline: then the line is left blank.
    """
    if not adcode:
        return None
    for point in queries.service_points(session, route, adcode, limit=5):
        if not point.jurisdiction.endswith("0000") and any(w in point.name for w in ("仲裁", "监察")):
            return point.name
    return None


def _people(case: CaseFacts, filler: _Filler, employee_label: str, employer_label: str) -> List[Block]:
    p = case.parties
    worker = [("姓名", filler.value(p.name)), ("性别", filler.value(p.gender, "short_blank")),
              ("出生日期", filler.value(p.birth)), ("职业", filler.value(p.job)),
              ("身份证号码", p.id_number or _word("blank")), ("住所", filler.value(p.address)),
              ("联系电话", filler.value(p.phone))]
    employer = [("名称", filler.value(p.employer)), ("住所", filler.value(p.employer_address)),
                ("法定代表人（主要负责人）", filler.value(p.employer_rep)),
                ("职务", filler.value(p.employer_rep_title, "short_blank"))]
    return [Heading(employee_label), Fields(worker), Heading(employer_label), Fields(employer)]


def _evidence_rows(topic: Optional[str]) -> List[List[str]]:
    items = list(spec()["evidence"]["common"]) + list(spec()["evidence"].get(topic or "", []))
    return [[str(i), name, proves, ""] for i, (name, proves) in enumerate(items, 1)]


def _timeline(session: Session, case: CaseFacts, rules: Rules) -> List[List[str]]:
    rows = []
    for d in topics.deadlines(case.topic, rules, case.facts):
        rows.append([d.title, str(d.details.get("deadline") or "不受时效限制（在职期间）"),
                     "；".join(d.steps[:1]), "；".join(c.text() for c in d.citations[:1])])
    return rows


# --- documents ------------------------------------------------------------------------------

def compose(session: Session, kind: str, case: CaseFacts) -> Document:
    """The document ``kind`` (a key of documents.yml ``kinds``) for ``case``."""
    kinds = spec()["kinds"]
    if kind not in kinds:
        raise ValueError(f"unknown document kind {kind!r}; known: {', '.join(kinds)}")
    meta = kinds[kind]
    if case.topic not in meta["topics"]:
        raise ValueError(f"no {kind} document for the topic {case.topic!r}")
    rules = Rules(session, case.adcode, case.on)
    result = topics.calculate(case.topic, rules, {k: v for k, v in case.facts.items() if topics.known(v)})
    filler = _Filler()
    doc = Document(kind, meta["title"], meta["file"])
    build = {"arbitration": _arbitration, "inspection": _inspection, "evidence": _evidence}.get(kind, _union)
    build(session, doc, case, result, rules, filler)
    doc.blanks = filler.blanks
    return doc


def _arbitration(session: Session, doc: Document, case: CaseFacts, result: Optional[CalcResult], rules: Rules,
                 filler: _Filler) -> None:
    doc.blocks += _people(case, filler, "申请人", "被申请人")
    found = claims(session, case, result, filler)
    doc.blocks.append(Heading("仲裁请求"))
    items = [c.text for c in found] or [filler.value(None) + "（请写明具体请求和金额）"]
    doc.blocks.append(Numbered(items))
    for c in found:
        if c.missing:
            doc.blocks.append(Note(f"说明：{c.missing}"))
    doc.blocks.append(Heading("事实与理由"))
    doc.blocks.append(Para(_story(case, result, filler)))
    for c in found:
        for p in c.provisions:
            doc.blocks.append(Para(f"{p.citation.text()}：{p.summary}"))
    if result is not None and result.steps:
        doc.blocks.append(Para("计算方法：" + "；".join(" ".join(step.split()).rstrip("。") for step in result.steps) + "。"))
    intro = _citations(session, spec()["kinds"]["arbitration"]["intro_provisions"])
    doc.blocks.append(Para(f"为维护申请人的合法权益，依据{_cite(intro[:1]) or '劳动争议调解仲裁法'}的规定，"
                           "特向贵委申请仲裁，请依法裁决。"))
    doc.blocks.append(Heading("证据和证据来源"))
    doc.blocks.append(Table(["序号", "证据名称", "证明内容", "页数"], _evidence_rows(case.topic)))
    doc.blocks.append(Para("证人姓名和住所：" + _word("blank"), indent=False))
    commission = _commission(session, case.adcode, "arbitration")
    doc.blocks.append(Closing(f"{_word('to_commission')}\n{commission or _word('commission_blank')}",
                              f"申请人{_word('signature')}：{_word('blank')}", _word("date_line")))
    if commission is None:
        filler.blanks += 1
        doc.blocks.append(Note("仲裁委员会的名称请按劳动合同履行地或者单位所在地填写。"))
    for note in spec()["kinds"]["arbitration"].get("notes", []):
        doc.blocks.append(Note(note))
    doc.blocks.append(Note("依据：" + _cite(intro)))


def _inspection(session: Session, doc: Document, case: CaseFacts, result: Optional[CalcResult], rules: Rules,
                filler: _Filler) -> None:
    doc.blocks += _people(case, filler, "投诉人", "被投诉单位")
    found = claims(session, case, result, filler)
    doc.blocks.append(Heading("投诉请求"))
    orders = [c.order for c in found if c.order] or [filler.value(None) + "（请写明要求处理的事项）"]
    doc.blocks.append(Numbered(orders))
    doc.blocks.append(Heading("事实和理由"))
    doc.blocks.append(Para(_story(case, result, filler).replace("申请人", "投诉人").replace("被申请人", "被投诉单位")
                           .replace("被投诉人", "被投诉单位")))
    amounts = [c for c in found if c.amount is not None]
    for c in amounts:
        doc.blocks.append(Para(f"经计算，{c.text.replace('请求裁决被申请人支付', '被投诉单位应支付').rstrip('。')}。"))
    breached = [c for c in found if c.breach]
    for p in _provisions_of(breached):
        doc.blocks.append(Para(f"{p.citation.text()}：{p.summary}"))
    if breached:
        doc.blocks.append(Para(f"被投诉单位{'、'.join(c.breach for c in breached)}，侵害了投诉人的合法权益。"
                               "特此投诉，请依法查处。"))
    doc.blocks.append(Heading("证据"))
    doc.blocks.append(Table(["序号", "证据名称", "证明内容", "页数"], _evidence_rows(case.topic)))
    office = _commission(session, case.adcode, "labour_inspection")
    doc.blocks.append(Closing(f"{_word('to_commission')}\n{office or _word('inspection_blank')}",
                              f"投诉人{_word('signature')}：{_word('blank')}", _word("date_line")))
    for note in spec()["kinds"]["inspection"].get("notes", []):
        doc.blocks.append(Note(note))
    intro = _citations(session, spec()["kinds"]["inspection"]["intro_provisions"])
    doc.blocks.append(Note("依据：" + _cite(intro)))


def _union(session: Session, doc: Document, case: CaseFacts, result: Optional[CalcResult], rules: Rules,
           filler: _Filler) -> None:
    """提示函 (a reminder before or as trouble starts), 意见书 (correct this), 建议书 (to the authorities)."""
    p = case.parties
    found = claims(session, case, result, filler)
    employer = filler.value(p.employer)
    workers = f"{p.workers}名职工" if p.workers > 1 else "职工"
    breaches = "、".join(c.breach for c in found if c.breach) or filler.value(None)
    cited = _provisions_of(found)
    basis = "；".join(f"{prov.citation.text()}：{prov.summary}" for prov in cited)
    intro = _citations(session, spec()["kinds"][doc.kind]["intro_provisions"])
    place = _place_name(case.adcode)
    if doc.kind == "union_proposal":
        doc.blocks.append(Para(f"{_word('department_blank')}：", indent=False))
        doc.blocks.append(Para(f"本工会接到{workers}反映，{employer}（以下简称该单位）存在{breaches}的情形"
                               f"{'（' + place + '）' if place else ''}。本工会已于{_word('date_line')}向该单位发出"
                               f"《工会劳动法律监督意见书》，该单位{_word('reply_blank')}（未答复／拒不改正）。"))
        doc.blocks.append(Para(f"上述行为违反了：{basis or filler.value(None)}"))
        doc.blocks.append(Para("根据" + (_cite(intro[:1]) or "工会法") + "的规定，建议贵单位依法调查处理，"
                               "责令该单位改正，维护职工的合法权益，并将处理结果告知本工会。"))
    else:
        doc.blocks.append(Para(f"{employer}：", indent=False))
        if doc.kind == "union_letter":
            doc.blocks.append(Para(f"本工会接到{workers}反映，贵单位可能存在{breaches}的情形。"
                                   "现提示贵单位依法用工，对照以下规定自查，发现问题及时纠正："))
        else:
            doc.blocks.append(Para(f"经了解核实，贵单位存在{breaches}的情形，侵害了{workers}的合法权益。"))
        for prov in cited:
            doc.blocks.append(Para(f"{prov.citation.text()}：{prov.summary}"))
        amounts = [c for c in found if c.amount is not None]
        for c in amounts:
            doc.blocks.append(Para(f"按职工提供的情况计算，{c.text.replace('请求裁决被申请人支付', '贵单位应支付').rstrip('。')}"
                                   f"{'（' + str(p.workers) + '名职工的合计金额请按各人情况核算）' if p.workers > 1 else ''}。"))
        if doc.kind == "union_opinion":
            doc.blocks.append(Para(f"根据{_cite(intro[:1]) or '工会法'}的规定，本工会要求贵单位在收到本意见书之日起"
                                   f"{_word('reply_blank')}个工作日内改正，并书面答复本工会。逾期不改正的，本工会将提请"
                                   "人力资源社会保障等部门依法处理。"))
        else:
            doc.blocks.append(Para("请贵单位重视，依法保障职工权益。如有疑问，可与本工会联系。"))
    doc.blocks.append(Closing("", f"{_word('union_blank')}（盖章）", _word("date_line")))
    doc.blocks.append(Note("依据：" + _cite(intro)))
    if case.reference:
        doc.blocks.append(Note(f"案件编号：{case.reference}"))


def _evidence(session: Session, doc: Document, case: CaseFacts, result: Optional[CalcResult], rules: Rules,
              filler: _Filler) -> None:
    doc.blocks.append(Para(f"问题：{TOPICS.get(case.topic or '', '劳动争议')}"
                           f"{'；地区：' + _place_name(case.adcode) if _place_name(case.adcode) else ''}"
                           f"；生成日期：{case.on.year}年{case.on.month}月{case.on.day}日", indent=False))
    doc.blocks.append(Heading("要准备的证据"))
    doc.blocks.append(Table(["序号", "证据", "用来证明", "已有"], [r[:3] + ["□"] for r in _evidence_rows(case.topic)]))
    doc.blocks.append(Note("保存方法：原件自己留着，交复印件；聊天记录截图要带上对方的头像和账号页，原始手机不要删；"
                           "录音保留原始文件。单位掌握的考勤、工资表，可以在仲裁时申请由单位提供。"))
    evidence_rule = _citations(session, ["lmal-evidence"])
    if evidence_rule:
        doc.blocks.append(Note(f"依据：{_cite(evidence_rule)}：{evidence_rule[0].summary}"))
    doc.blocks.append(Heading("时间表"))
    rows = _timeline(session, case, rules)
    if rows:
        doc.blocks.append(Table(["期限", "最后一天", "怎么算", "依据"], rows))
    else:
        doc.blocks.append(Para("要算出期限，需要知道关键日期（离职、被辞退或受伤的日期）；请告诉工作人员，或在对话里补充。"))
    if result is not None:
        doc.blocks.append(Heading("算出的金额"))
        doc.blocks.append(Para(result.headline()))
        doc.blocks.append(Numbered(list(result.steps)))
