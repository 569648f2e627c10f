"""Validate the reviewed data files under ``knowledge/data`` and load them.

All files are read and checked first; any problem is reported as
``file:line: what is wrong`` and nothing is written. A clean set is loaded in
one transaction that replaces what earlier loads wrote (rows that came from the
files) and leaves alone what staff added through the console or imports.
Loading the same files twice changes nothing.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from knowledge import models, schema
from knowledge.regions import NATIONAL, Region, RegionIndex, region_index
from knowledge.taxonomy import ROUTES, TOPICS

DATA_DIR = Path(__file__).parent / "data"
REGULATION_DIRS = ("national", "provinces")
SERVICE_POINT_DIR = "service_points"
KINDS = {
    "law", "administrative_regulation", "judicial_interpretation", "departmental_rule",
    "normative_document", "local_regulation", "local_rule", "local_notice",
}
CHECKSUM_KEY = "data_checksum"


class DataError(Exception):
    """The data files are not valid; ``errors`` holds every ``file:line: message``."""

    def __init__(self, errors: List[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line of every mapping as ``__line__``."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> Dict[str, Any]:
    mapping: Dict[str, Any] = dict(loader.construct_mapping(node, deep=True))  # type: ignore[arg-type]
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Dates stay text so a bad one is reported with its line instead of crashing the YAML parser.
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class LoadedData:
    """Everything read from the files, validated and ready to insert."""

    regulations: List[Dict[str, Any]] = field(default_factory=list)
    service_points: List[Dict[str, Any]] = field(default_factory=list)
    checksum: str = ""


def figure_catalogue(data_dir: Path = DATA_DIR) -> Dict[str, Dict[str, str]]:
    """Figure keys with their unit and label (knowledge/data/figure_keys.yml)."""
    raw = yaml.safe_load((data_dir / "figure_keys.yml").read_text(encoding="utf-8"))
    return raw["keys"]


_CATALOGUE_CACHE: Dict[Tuple[str, int, int], Dict[str, Dict[str, str]]] = {}


def cached_figure_catalogue(data_dir: Path = DATA_DIR) -> Dict[str, Dict[str, str]]:
    """:func:`figure_catalogue`, parsed once per version of the file (for every-turn lookups).

    Parsing the YAML costs ~40 ms; answers read the labels several times per turn.
    The cache key is the file's modification time and size, so an edited file is
    read again. Callers must not modify the returned mapping.
    """
    path = data_dir / "figure_keys.yml"
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    found = _CATALOGUE_CACHE.get(key)
    if found is None:
        found = figure_catalogue(data_dir)
        _CATALOGUE_CACHE.clear()
        _CATALOGUE_CACHE[key] = found
    return found


def data_files(data_dir: Path = DATA_DIR) -> List[Path]:
    """Regulation and service-point files, in a stable order."""
    files: List[Path] = []
    for sub in (*REGULATION_DIRS, SERVICE_POINT_DIR):
        files.extend(sorted((data_dir / sub).rglob("*.yml")))
    return files


def checksum(files: Iterable[Path], data_dir: Path = DATA_DIR) -> str:
    digest = hashlib.sha256()
    for path in [*files, data_dir / "figure_keys.yml", data_dir / "regions" / "aliases.yml"]:
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


class _Validator:
    def __init__(self, data_dir: Path, index: RegionIndex):
        self.data_dir = data_dir
        self.index = index
        self.catalogue = figure_catalogue(data_dir)
        self.errors: List[str] = []
        self.regulation_ids: Dict[str, str] = {}
        self.provision_ids: Dict[str, str] = {}

    def error(self, path: Path, line: Any, message: str) -> None:
        rel = path.relative_to(self.data_dir.parent.parent) if self.data_dir.parent.parent in path.parents else path
        self.errors.append(f"{rel}:{line or 1}: {message}")

    # -- field checks -------------------------------------------------------
    def text(self, path: Path, record: Dict[str, Any], key: str, required: bool = True) -> Optional[str]:
        value = record.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(path, record.get("__line__"), f"'{key}' is missing")
            return None
        if not isinstance(value, (str, int, float)):
            self.error(path, record.get("__line__"), f"'{key}' must be text")
            return None
        return str(value).strip()

    def day(self, path: Path, record: Dict[str, Any], key: str, required: bool = True) -> Optional[date]:
        value = record.get(key)
        if value is None:
            if required:
                self.error(path, record.get("__line__"), f"'{key}' is missing (a date, YYYY-MM-DD)")
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.error(path, record.get("__line__"), f"'{key}' is not a date (YYYY-MM-DD): {value!r}")
            return None

    def jurisdiction(self, path: Path, line: Any, value: Any) -> Optional[str]:
        code = str(value).strip() if value is not None else ""
        if code == NATIONAL:
            return code
        if not code or self.index.get(code) is None:
            self.error(path, line, f"jurisdiction {value!r} is not a known adcode")
            return None
        return self.index.get(code).adcode  # type: ignore[union-attr]

    def area(self, path: Path, line: Any, value: Any) -> Optional[str]:
        text = str(value).strip()
        region = self.index.get(text) if text.isdigit() else None
        if region is None:
            region = self._resolve_area_name(text)
        if region is None:
            self.error(path, line, f"area {value!r} is not a place we can resolve (use an official name or adcode)")
            return None
        return region.adcode

    def _resolve_area_name(self, text: str) -> Optional[Region]:
        candidates = self.index.candidates(text)
        if len(candidates) == 1:
            return candidates[0]
        # "苏州市昆山市" / "淮安市清江浦区": a parent name followed by a child name.
        for split in range(2, len(text) - 1):
            parents = self.index.candidates(text[:split])
            children = self.index.candidates(text[split:])
            for child in children:
                if any(self.index.is_within(child.adcode, parent.adcode) for parent in parents):
                    return child
        return candidates[0] if candidates and (len(candidates) == 1 or candidates[0].level != candidates[1].level) else None

    # -- records ------------------------------------------------------------
    def regulation_file(self, path: Path, doc: Any) -> List[Dict[str, Any]]:
        if not isinstance(doc, dict):
            self.error(path, 1, "a regulation file must be a mapping with 'jurisdiction' and 'regulations'")
            return []
        jurisdiction = self.jurisdiction(path, doc.get("__line__"), doc.get("jurisdiction"))
        regulations = doc.get("regulations")
        if not isinstance(regulations, list) or not regulations:
            self.error(path, doc.get("__line__"), "'regulations' must be a non-empty list")
            return []
        out = []
        for reg in regulations:
            checked = self.regulation(path, reg, jurisdiction)
            if checked:
                out.append(checked)
        return out

    def regulation(self, path: Path, reg: Any, jurisdiction: Optional[str]) -> Optional[Dict[str, Any]]:
        if not isinstance(reg, dict):
            self.error(path, None, "each regulation must be a mapping")
            return None
        line = reg.get("__line__")
        reg_id = self.text(path, reg, "id")
        if reg_id and reg_id in self.regulation_ids:
            self.error(path, line, f"regulation id '{reg_id}' is already used in {self.regulation_ids[reg_id]}")
        elif reg_id:
            self.regulation_ids[reg_id] = f"{path.name}:{line}"
        kind = self.text(path, reg, "kind")
        if kind and kind not in KINDS:
            self.error(path, line, f"kind '{kind}' is not one of {sorted(KINDS)}")
        own_jurisdiction = self.jurisdiction(path, line, reg["jurisdiction"]) if "jurisdiction" in reg else jurisdiction
        record: Dict[str, Any] = {
            "id": reg_id, "title": self.text(path, reg, "title"), "issuer": self.text(path, reg, "issuer"),
            "doc_number": self.text(path, reg, "doc_number", required=False), "kind": kind,
            "jurisdiction": own_jurisdiction, "effective": self.day(path, reg, "effective"),
            "verified": self.day(path, reg, "verified"),
            "url": self.text(path, reg, "url", required=False), "source": self.text(path, reg, "source"),
            "origin_file": str(path.relative_to(self.data_dir)), "provisions": [],
        }
        provisions = reg.get("provisions")
        if not isinstance(provisions, list) or not provisions:
            self.error(path, line, "'provisions' must be a non-empty list")
            return record
        for prov in provisions:
            checked = self.provision(path, prov, own_jurisdiction)
            if checked:
                for fig in checked["figures"]:
                    fig["verified"] = fig["verified"] or record["verified"]
                record["provisions"].append(checked)
        return record

    def provision(self, path: Path, prov: Any, jurisdiction: Optional[str]) -> Optional[Dict[str, Any]]:
        if not isinstance(prov, dict):
            self.error(path, None, "each provision must be a mapping")
            return None
        line = prov.get("__line__")
        prov_id = self.text(path, prov, "id")
        if prov_id and prov_id in self.provision_ids:
            self.error(path, line, f"provision id '{prov_id}' is already used in {self.provision_ids[prov_id]}")
        elif prov_id:
            self.provision_ids[prov_id] = f"{path.name}:{line}"
        topic = self.text(path, prov, "topic")
        if topic and topic not in TOPICS:
            self.error(path, line, f"topic '{topic}' is not a topic intent of the taxonomy")
        summary = self.text(path, prov, "summary")
        record: Dict[str, Any] = {"id": prov_id, "article": self.text(path, prov, "article", required=False), "topic": topic,
                  "summary": summary, "figures": []}
        for fig in prov.get("figures") or []:
            checked = self.figure(path, fig, jurisdiction)
            if checked:
                record["figures"].append(checked)
        return record

    def figure(self, path: Path, fig: Any, jurisdiction: Optional[str]) -> Optional[Dict[str, Any]]:
        if not isinstance(fig, dict):
            self.error(path, None, "each figure must be a mapping")
            return None
        line = fig.get("__line__")
        key = self.text(path, fig, "key")
        if key and key not in self.catalogue:
            self.error(path, line, f"figure key '{key}' is not in figure_keys.yml")
        value = fig.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.error(path, line, f"figure value must be a number, not {value!r}")
            value = None
        valid_from = self.day(path, fig, "valid_from")
        valid_to = self.day(path, fig, "valid_to", required=False)
        if valid_from and valid_to and valid_to < valid_from:
            self.error(path, line, f"valid_to {valid_to} is before valid_from {valid_from}")
        areas = []
        for area in fig.get("areas") or []:
            code = self.area(path, line, area)
            if code:
                areas.append(code)
        return {
            "key": key, "value": value, "unit": self.catalogue.get(key or "", {}).get("unit", ""),
            "valid_from": valid_from, "valid_to": valid_to, "note": self.text(path, fig, "note", required=False),
            "jurisdiction": jurisdiction, "areas": areas, "verified": self.day(path, fig, "verified", required=False),
            "statistic_year": fig.get("statistic_year"),
        }

    def service_point_file(self, path: Path, doc: Any) -> List[Dict[str, Any]]:
        points = doc.get("service_points") if isinstance(doc, dict) else None
        if not isinstance(points, list):
            self.error(path, 1, "a service-point file must have a 'service_points' list")
            return []
        out = []
        for point in points:
            checked = self.service_point(path, point)
            if checked:
                out.append(checked)
        return out

    def service_point(self, path: Path, point: Any, line: Any = None) -> Optional[Dict[str, Any]]:
        if not isinstance(point, dict):
            self.error(path, line, "each service point must be a mapping")
            return None
        line = point.get("__line__", line)
        before = len(self.errors)
        route = self.text(path, point, "route")
        if route and route not in ROUTES:
            self.error(path, line, f"route '{route}' is not a route type of the taxonomy")
        record = {
            "route": route,
            "jurisdiction": self.jurisdiction(path, line, point.get("jurisdiction")),
            "name": self.text(path, point, "name"),
            "address": self.text(path, point, "address", required=False),
            "phone": self.text(path, point, "phone", required=False),
            "hours": self.text(path, point, "hours", required=False),
            "url": self.text(path, point, "url", required=False),
            "verified": self.day(path, point, "verified", required=False),
            "source": self.text(path, point, "source", required=False),
            "note": self.text(path, point, "note", required=False),
        }
        if not record["phone"] and not record["address"] and not record["url"]:
            self.error(path, line, "a service point needs at least a phone, an address or a link")
        return record if len(self.errors) == before else None


def read_data(data_dir: Path = DATA_DIR, index: Optional[RegionIndex] = None) -> LoadedData:
    """Read and validate every data file; raise :class:`DataError` listing all problems."""
    validator = _Validator(data_dir, index or region_index())
    files = data_files(data_dir)
    loaded = LoadedData(checksum=checksum(files, data_dir))
    for path in files:
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            validator.error(path, (mark.line + 1) if mark else 1, f"not valid YAML: {getattr(exc, 'problem', exc)}")
            continue
        points = path.parent.name == SERVICE_POINT_DIR or SERVICE_POINT_DIR in path.relative_to(data_dir).parts
        # The shape first (unknown or misspelt keys, wrong types), then what the shape cannot say.
        for line, message in schema.problems(schema.ServicePointFile if points else schema.RegulationFile, doc):
            validator.error(path, line, message)
        if points:
            loaded.service_points.extend(validator.service_point_file(path, doc))
        else:
            loaded.regulations.extend(validator.regulation_file(path, doc))
    if validator.errors:
        raise DataError(validator.errors)
    return loaded


def validate_service_point(record: Dict[str, Any], where: Path, line: int,
                           index: Optional[RegionIndex] = None) -> Tuple[Optional[Dict[str, Any]], List[str]]:
    """Check one service point (e.g. a CSV row); return it cleaned, or the problems."""
    validator = _Validator(DATA_DIR, index or region_index())
    checked = validator.service_point(where, {**record, "__line__": line})
    return checked, validator.errors


def sync_regions(session: Session, index: Optional[RegionIndex] = None) -> int:
    """Make the regions table match the division list (insert/update; never delete referenced rows)."""
    index = index or region_index()
    existing = {r.adcode: r for r in session.execute(sa.select(models.Region)).scalars()}
    wanted: Dict[str, Dict[str, Any]] = {NATIONAL: dict(name="全国", full_name="全国", level="national", parent_adcode=None,
                             longitude=None, latitude=None, mainland=True)}
    for region in index.by_code.values():
        wanted[region.adcode] = dict(
            name=region.name, full_name=index.full_name(region.adcode), level=region.level,
            parent_adcode=region.parent, longitude=region.longitude, latitude=region.latitude,
            mainland=region.mainland,
        )
    changed = 0
    # Parents first, so foreign keys hold while inserting.
    for adcode in sorted(wanted, key=lambda c: len(index.ancestors(c)) if c != NATIONAL else 0):
        values = wanted[adcode]
        row = existing.get(adcode)
        if row is None:
            session.add(models.Region(adcode=adcode, **values))
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            changed += 1
    session.flush()
    return changed


def load(session: Session, data: LoadedData) -> Dict[str, int]:
    """Replace the file-sourced rows with ``data`` (inside the caller's transaction)."""
    sync_regions(session)
    F, P, R, S = models.Figure, models.Provision, models.Regulation, models.ServicePoint
    # Children first: figures, provisions, regulations that came from the files.
    no_sync = {"synchronize_session": False}
    session.execute(sa.delete(F).where(F.origin == models.ORIGIN_FILES, F.area_of.isnot(None)), execution_options=no_sync)
    session.execute(sa.delete(F).where(F.origin == models.ORIGIN_FILES), execution_options=no_sync)
    file_regulation_ids = sa.select(R.id).where(R.origin == models.ORIGIN_FILES)
    session.execute(sa.delete(P).where(P.origin == models.ORIGIN_FILES, P.regulation_id.in_(file_regulation_ids)),
                    execution_options=no_sync)
    session.execute(sa.delete(R).where(R.origin == models.ORIGIN_FILES), execution_options=no_sync)
    session.execute(sa.delete(S).where(S.origin == models.ORIGIN_FILES), execution_options=no_sync)
    session.expire_all()
    counts = {"regulations": 0, "provisions": 0, "figures": 0, "service_points": 0}
    for reg in data.regulations:
        regulation = R(**{k: v for k, v in reg.items() if k != "provisions"}, origin=models.ORIGIN_FILES)
        session.add(regulation)
        counts["regulations"] += 1
        for prov in reg["provisions"]:
            provision = P(id=prov["id"], regulation=regulation, article=prov["article"], topic=prov["topic"],
                          summary=prov["summary"], origin=models.ORIGIN_FILES)
            session.add(provision)
            counts["provisions"] += 1
            for fig in prov["figures"]:
                figure = F(provision=provision, origin=models.ORIGIN_FILES,
                           **{k: v for k, v in fig.items() if k != "areas"})
                session.add(figure)
                counts["figures"] += 1
                session.flush()
                for area in fig["areas"]:
                    session.add(F(provision=provision, origin=models.ORIGIN_FILES, area_of=figure.id,
                                  **{**{k: v for k, v in fig.items() if k != "areas"}, "jurisdiction": area}))
    for point in data.service_points:
        session.add(S(**point, origin=models.ORIGIN_FILES, active=True))
        counts["service_points"] += 1
    session.merge(models.Meta(key=CHECKSUM_KEY, value=data.checksum))
    session.flush()
    return counts


def loaded_checksum(session: Session) -> Optional[str]:
    row = session.get(models.Meta, CHECKSUM_KEY)
    return row.value if row else None
