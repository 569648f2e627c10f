"""The loader refuses bad files with file:line, loads idempotently, keeps what staff
added, and lookups follow dates and the county → city → province → national chain."""
from __future__ import annotations

import shutil
import textwrap
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from knowledge import models, queries
from knowledge.db import make_engine, upgrade
from knowledge.loader import DataError, load, read_data

REAL_DATA = Path(__file__).resolve().parents[2] / "knowledge" / "data"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


@pytest.fixture()
def data_dir(tmp_path):
    root = tmp_path / "knowledge" / "data"
    root.mkdir(parents=True)
    shutil.copy(REAL_DATA / "figure_keys.yml", root / "figure_keys.yml")
    write(root / "national" / "law.yml", """
        jurisdiction: "000000"
        regulations:
          - id: test-national
            title: 测试法
            issuer: 测试机关
            kind: law
            effective: 2008-01-01
            verified: 2026-11-28
            source: test
            provisions:
              - id: test-national-marriage
                article: 第一条
                topic: leave
                summary: 全国的婚假。
                figures:
                  - {key: marriage_leave.days, value: 3, valid_from: 2008-01-01}
        """)
    write(root / "provinces" / "32-jiangsu" / "leave.yml", """
        jurisdiction: "320000"
        regulations:
          - id: test-js-old
            title: 江苏测试条例
            issuer: 江苏测试机关
            kind: local_regulation
            effective: 2016-01-01
            verified: 2026-11-28
            source: test
            provisions:
              - id: test-js-marriage
                article: 第二条
                topic: leave
                summary: 江苏的婚假。
                figures:
                  - {key: marriage_leave.days, value: 13, valid_from: 2016-01-01, valid_to: 2021-12-31}
                  - {key: marriage_leave.days, value: 13, valid_from: 2022-01-01}
                  - {key: min_wage.monthly.tier1, value: 2490, valid_from: 2025-01-01, areas: ["南京市"]}
                  - {key: min_wage.monthly.tier2, value: 2260, valid_from: 2025-01-01, areas: ["淮安市清江浦区", "320800"]}
                  - {key: min_wage.monthly.tier2, value: 2070, valid_from: 2021-08-01, valid_to: 2024-12-31, areas: ["淮安市"]}
        """)
    write(root / "service_points" / "points.yml", """
        service_points:
          - {route: legal_aid, jurisdiction: "000000", name: 全国热线, phone: "12348"}
          - {route: legal_aid, jurisdiction: "320800", name: 淮安市法律援助中心, phone: "12348"}
        """)
    return root


@pytest.fixture()
def engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    upgrade(url)
    return make_engine(url)


def load_into(engine, data_dir):
    from sqlalchemy.orm import Session

    data = read_data(data_dir)
    with Session(engine, future=True) as session, session.begin():
        return load(session, data)


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_loading_twice_changes_nothing(engine, data_dir):
    first = load_into(engine, data_dir)
    rows = (count(engine, models.Figure), count(engine, models.Provision), count(engine, models.ServicePoint))
    second = load_into(engine, data_dir)
    assert first == second
    assert rows == (count(engine, models.Figure), count(engine, models.Provision), count(engine, models.ServicePoint))


@pytest.mark.parametrize("bad, line, message", [
    ("{key: marriage_leave.days, value: lots, valid_from: 2008-01-01}", 17, "must be a number"),
    ("{key: no_such.key, value: 1, valid_from: 2008-01-01}", 17, "not in figure_keys.yml"),
    ("{key: marriage_leave.days, value: 1, valid_from: 2008-13-01}", 17, "not a date"),
    ("{key: marriage_leave.days, value: 1, valid_from: 2008-01-01, areas: [火星市]}", 17, "not a place"),
    # A misspelt key once loaded silently and left an old figure answering.
    ("{key: marriage_leave.days, value: 1, valid_from: 2008-01-01, vaild_to: 2009-01-01}", 17,
     "unknown key 'vaild_to' (did you mean 'valid_to'?)"),
])
def test_a_bad_file_is_refused_with_its_line_and_nothing_is_loaded(engine, data_dir, bad, line, message):
    load_into(engine, data_dir)
    before = count(engine, models.Figure)
    path = data_dir / "national" / "law.yml"
    # appended as one more figure of the last provision
    path.write_text(path.read_text(encoding="utf-8") + "          - " + bad + "\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_into(engine, data_dir)
    assert any(f"law.yml:{line}:" in e and message in e for e in caught.value.errors), caught.value.errors
    assert count(engine, models.Figure) == before


def test_unknown_topic_and_duplicate_ids_are_refused(data_dir):
    write(data_dir / "national" / "dup.yml", """
        jurisdiction: "000000"
        regulations:
          - id: test-national
            title: 重复
            issuer: 测试
            kind: law
            effective: 2008-01-01
            verified: 2026-11-28
            source: test
            provisions:
              - {id: dup-1, topic: gossip, summary: 无}
        """)
    with pytest.raises(DataError) as caught:
        read_data(data_dir)
    text = "\n".join(caught.value.errors)
    assert "regulation id 'test-national' is already used in" in text
    assert "topic 'gossip' is not a topic intent" in text


def test_lookup_falls_back_from_county_to_city_to_province_to_nation(engine, data_dir):
    from sqlalchemy.orm import Session

    load_into(engine, data_dir)
    with Session(engine, future=True) as s:
        # 清江浦区 has its own tier, 淮安区 inherits 淮安市's, 徐州 only has the province's tiers.
        assert queries.figures(s, "min_wage.monthly", "320812", date(2026, 1, 1))[0].value == 2260
        assert queries.figures(s, "min_wage.monthly", "320803", date(2026, 1, 1))[0].jurisdiction == "320800"
        assert {f.value for f in queries.figures(s, "min_wage.monthly", "320300", date(2026, 1, 1))} == {2490, 2260}
        assert queries.figure(s, "marriage_leave.days", "320812", date(2026, 1, 1)).value == 13
        assert queries.figure(s, "marriage_leave.days", "440300", date(2026, 1, 1)).value == 3
        assert queries.figure(s, "marriage_leave.days", "440300", date(2026, 1, 1)).citation.title == "测试法"
        assert [p.name for p in queries.service_points(s, "legal_aid", "320812")] == ["淮安市法律援助中心", "全国热线"]


def test_figures_answer_for_the_date_asked(engine, data_dir):
    from sqlalchemy.orm import Session

    load_into(engine, data_dir)
    with Session(engine, future=True) as s:
        assert queries.figures(s, "min_wage.monthly", "320800", date(2023, 6, 1))[0].value == 2070
        assert queries.figures(s, "min_wage.monthly", "320800", date(2025, 6, 1))[0].value == 2260
        assert queries.figures(s, "min_wage.monthly", "320800", date(2020, 6, 1)) == []


def test_staff_entries_survive_a_reload(engine, data_dir):
    from sqlalchemy.orm import Session

    load_into(engine, data_dir)
    with Session(engine, future=True) as s, s.begin():
        s.add(models.ServicePoint(route="union", jurisdiction="320800", name="淮安市总工会职工服务中心",
                                  phone="12351", origin=models.ORIGIN_IMPORT, active=True))
    load_into(engine, data_dir)
    with Session(engine, future=True) as s:
        assert [p.name for p in queries.service_points(s, "union", "320800")] == ["淮安市总工会职工服务中心"]


def test_every_loaded_text_fits_its_column_as_postgresql_would_enforce(db):
    """SQLite ignores VARCHAR lengths; PostgreSQL (scale-out) refuses the whole load."""
    import sqlalchemy as sa

    from knowledge import models

    too_long = []
    for cls in (models.Region, models.Regulation, models.Provision, models.Figure, models.ServicePoint):
        for column in cls.__table__.columns:
            if isinstance(column.type, sa.String) and not isinstance(column.type, sa.Text) and column.type.length:
                longest = db.execute(sa.select(sa.func.max(sa.func.length(column)))).scalar() or 0
                if longest > column.type.length:
                    too_long.append(f"{cls.__tablename__}.{column.name}: {longest} > {column.type.length}")
    assert not too_long


def test_a_regulation_without_its_verification_date_is_refused(data_dir):
    path = data_dir / "national" / "law.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("    verified: 2026-11-28\n", "", 1), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_data(data_dir)
    assert any("law.yml:3:" in e and "verified" in e for e in caught.value.errors), caught.value.errors


def test_figures_not_rechecked_within_a_year_are_listed_as_stale(engine, data_dir):
    from sqlalchemy.orm import Session

    from knowledge.coverage import stale

    load_into(engine, data_dir)
    with Session(engine) as session:
        assert stale(session, 12, on=date(2027, 6, 1)) == []
        late = stale(session, 12, on=date(2027, 12, 1))
    # The national and Jiangsu marriage leave still in force; the expired ones are not listed.
    assert {(s.place, s.value) for s in late} >= {("全国", "3 day"), ("江苏省", "13 day")}
    assert all(s.verified == date(2026, 11, 28) for s in late)


def test_the_committed_json_schemas_match_the_models():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "bot.cli", "kb", "schema", "--check"], capture_output=True, text=True,
                          cwd=REAL_DATA.parents[1])
    assert done.returncode == 0, done.stderr
