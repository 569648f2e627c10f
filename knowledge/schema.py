"""The shape of the knowledge data files, as pydantic models that refuse unknown keys.

A misspelt key (``vaild_to:``) used to load silently and leave an old figure answering; here it
is an error with its file and line. :mod:`knowledge.loader` checks every file against these
models before its own checks (figure keys, places, duplicate ids), and nothing is loaded while
any file has an error. ``gongyou kb schema`` writes the same models as JSON Schema
(``knowledge/data/schema/``) so editors can check a file as it is typed.
"""
from __future__ import annotations

import difflib
import json
from datetime import date
from pathlib import Path
from typing import Any, Dict, List, Optional, Type, Union

from pydantic import BaseModel, Extra, Field, ValidationError

SCHEMA_DIR = Path(__file__).resolve().parent / "data" / "schema"
Code = Union[str, int]  # adcodes are written bare in YAML (320800) or quoted ("000000")
Number = Union[int, float]


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True


class Figure(_Strict):
    """A dated number of a provision."""

    key: str = Field(..., description="a key of knowledge/data/figure_keys.yml")
    value: Number
    valid_from: date = Field(..., description="first day the figure applies")
    valid_to: Optional[date] = Field(None, description="last day it applies (leave out while current)")
    note: Optional[str] = None
    areas: Optional[List[Code]] = Field(None, description="places (names or adcodes) a tier applies to")
    verified: Optional[date] = Field(None, description="when this figure was last checked, if not with its regulation")
    statistic_year: Optional[int] = Field(None, description="the year a published statistic describes")


class Provision(_Strict):
    """An article (or part of one) in plain words."""

    id: str
    article: Optional[str] = None
    topic: str
    summary: str
    figures: Optional[List[Figure]] = None


class Regulation(_Strict):
    """A law, regulation, rule or notice, with its provisions."""

    id: str
    title: str
    issuer: str
    doc_number: Optional[str] = None
    kind: str
    jurisdiction: Optional[Code] = None
    effective: date
    verified: date = Field(..., description="when the text and figures were last checked against the source")
    url: Optional[str] = None
    source: str
    provisions: List[Provision]


class RegulationFile(_Strict):
    """``knowledge/data/national/*.yml`` and ``knowledge/data/provinces/*.yml``."""

    jurisdiction: Code
    regulations: List[Regulation]


class ServicePoint(_Strict):
    """A place or line a worker can go to."""

    route: str
    jurisdiction: Code
    name: str
    address: Optional[str] = None
    phone: Optional[Union[str, int]] = None
    hours: Optional[str] = None
    url: Optional[str] = None
    verified: Optional[date] = None
    source: Optional[str] = None
    note: Optional[str] = None


class ServicePointFile(_Strict):
    """``knowledge/data/service_points/*.yml``."""

    service_points: List[ServicePoint]


def _without_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_without_lines(v) for v in value]
    return value


def _line_of(doc: Any, loc: tuple) -> Any:
    """The line of the deepest mapping on the error's path (the loader records ``__line__``)."""
    line, node = None, doc
    for part in loc:
        if isinstance(node, dict):
            line = node.get("__line__", line)
            node = node.get(part) if isinstance(part, str) else None
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            break
    if isinstance(node, dict):
        line = node.get("__line__", line)
    return line


def problems(model: Type[BaseModel], doc: Any) -> List[tuple]:
    """(line, message) for every way ``doc`` (as read by the loader, with ``__line__``) breaks ``model``."""
    try:
        model.parse_obj(_without_lines(doc))
    except ValidationError as error:
        out = []
        for e in error.errors():
            loc = tuple(e["loc"])
            field = ".".join(str(p) for p in loc)
            if e["type"] == "value_error.extra":
                name = str(loc[-1])
                known = list(_fields_at(model, loc[:-1]))
                close = difflib.get_close_matches(name, known, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(known)})"
                out.append((_line_of(doc, loc[:-1]), f"unknown key '{name}'{hint}"))
            else:
                out.append((_line_of(doc, loc), f"{field}: {e['msg']}"))
        return out
    return []


def _fields_at(model: Type[BaseModel], loc: tuple) -> List[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.__fields__.get(part)
        if field is None:
            return []
        current = field.type_
    return list(getattr(current, "__fields__", {}))


SCHEMAS: Dict[str, Type[BaseModel]] = {"regulations": RegulationFile, "service_points": ServicePointFile}


def write_json_schemas(directory: Path = SCHEMA_DIR) -> List[Path]:
    """Write ``<name>.schema.json`` for each data file kind; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in SCHEMAS.items():
        path = directory / f"{name}.schema.json"
        path.write_text(json.dumps(model.schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
