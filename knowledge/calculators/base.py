"""What every calculator shares: the rules it reads, and the result it returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Dict, List, Optional

from sqlalchemy.orm import Session

from knowledge import clock, queries
from knowledge.queries import Citation, FigureAnswer


class CalculationError(ValueError):
    """The calculation cannot be done: a parameter is missing or wrong, or a rule is not in the knowledge base."""


def yuan(amount: float) -> str:
    """12000 → '12,000元'; 1234.5 → '1,234.50元'."""
    if float(amount).is_integer():
        return f"{int(amount):,}元"
    return f"{amount:,.2f}元"


def number(value: float) -> str:
    return f"{int(value)}" if float(value).is_integer() else f"{value:g}"


class Rules:
    """Figures for one place and date, remembering which provisions were used.

    ``on`` is the day the question is asked as of (default: today in China, from the
    project's clock): the figures valid then, and "today" in deadlines and double wages.
    """

    def __init__(self, session: Session, adcode: Optional[str], on: Optional[date] = None):
        self.session = session
        self.adcode = adcode
        self.on: date = on or clock.today()
        self.used: List[Citation] = []

    def _cite(self, answer: FigureAnswer) -> None:
        if answer.citation not in self.used:
            self.used.append(answer.citation)

    def get(self, key: str) -> Optional[FigureAnswer]:
        """The figure, or None if the knowledge base has none for this place and date."""
        answer = queries.figure(self.session, key, self.adcode, self.on)
        if answer is not None:
            self._cite(answer)
        return answer

    def local_min_wage(self, kind: str = "monthly") -> Optional[FigureAnswer]:
        """The minimum wage of the place, if its tier is known."""
        answer = queries.local_minimum_wage(self.session, self.adcode, self.on, kind)
        if answer is not None:
            self._cite(answer)
        return answer

    def value(self, key: str) -> float:
        """The figure's value; a calculation that needs it stops if it is unknown."""
        answer = self.get(key)
        if answer is None:
            raise CalculationError(f"知识库中没有“{key}”这项规定的数据，无法计算，请咨询工作人员。")
        return answer.value


@dataclass
class CalcResult:
    """An amount (or a number of days, or a date) with the working and the provisions used."""

    kind: str
    title: str
    amount: Optional[float]
    unit: str
    steps: List[str]
    citations: List[Citation]
    warnings: List[str] = field(default_factory=list)
    details: Dict[str, Any] = field(default_factory=dict)

    def headline(self) -> str:
        if self.amount is None:
            return self.title
        if self.unit == "yuan":
            return f"{self.title}：约 {yuan(self.amount)}"
        if self.unit == "day":
            return f"{self.title}：{number(self.amount)}天"
        return f"{self.title}：{number(self.amount)}{self.unit}"

    def render_text(self) -> str:
        """Plain text: headline, numbered steps, warnings, then the provisions used."""
        lines = [self.headline(), "计算过程："]
        lines += [f"  {i}. {step}" for i, step in enumerate(self.steps, 1)]
        if self.warnings:
            lines.append("请注意：")
            lines += [f"  - {w}" for w in self.warnings]
        if self.citations:
            lines.append("依据：")
            lines += [f"  - {c.text()}" for c in self.citations]
        return "\n".join(lines)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "kind": self.kind, "title": self.title, "amount": self.amount, "unit": self.unit,
            "headline": self.headline(), "steps": self.steps, "warnings": self.warnings,
            "citations": [c.as_dict() for c in self.citations], "details": self.details,
        }
