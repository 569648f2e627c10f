"""Knowledge-base sub-commands of ``gongyou``: kb, lookup, calc, stations."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path


def _cmd_kb_load(args: argparse.Namespace) -> int:
    from knowledge.db import session_scope, upgrade
    from knowledge.loader import DataError, data_files, load, loaded_checksum, read_data

    print(f"Knowledge base: migrating the schema, then checking {len(data_files())} data files …", flush=True)
    upgrade()
    try:
        data = read_data()
    except DataError as exc:
        print("Knowledge data refused; nothing was loaded:", file=sys.stderr)
        for line in exc.errors:
            print(f"  {line}", file=sys.stderr)
        return 1
    with session_scope() as session:
        if not args.force and loaded_checksum(session) == data.checksum:
            print("Knowledge base is up to date.")
            return 0
        counts = load(session, data)
    print("Knowledge base loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


def _cmd_kb_check(args: argparse.Namespace) -> int:  # noqa: ARG001
    from knowledge.loader import DataError, read_data

    try:
        data = read_data()
    except DataError as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        return 1
    provisions = sum(len(r["provisions"]) for r in data.regulations)
    print(f"OK: {len(data.regulations)} regulations, {provisions} provisions, "
          f"{len(data.service_points)} service points")
    return 0


def _cmd_kb_coverage(args: argparse.Namespace) -> int:
    from knowledge.coverage import coverage, render_markdown
    from knowledge.db import session_scope

    with session_scope() as session:
        table = coverage(session, args.date)
    if args.json:
        print(json.dumps({p: {k: {"present": c.present, "text": c.text,
                                  "valid_from": c.valid_from.isoformat() if c.valid_from else None,
                                  "source": c.source} for k, c in row.items()} for p, row in table.items()},
                         ensure_ascii=False, indent=1))
    else:
        print(render_markdown(table))
    return 0


def _cmd_kb_stale(args: argparse.Namespace) -> int:
    from knowledge.coverage import stale
    from knowledge.db import session_scope

    with session_scope() as session:
        rows = stale(session, args.months, args.date)
        if args.json:
            print(json.dumps([{"place": r.place, "item": r.label, "value": r.value,
                               "verified": r.verified.isoformat() if r.verified else None, "source": r.source}
                              for r in rows], ensure_ascii=False, indent=1))
            return 0
        if not rows:
            print(f"Every figure in use was checked within the last {args.months} months.")
            return 0
        print(f"{len(rows)} figures in use not checked within {args.months} months (oldest first):")
        for r in rows:
            print(f"  {r.verified.isoformat() if r.verified else '未记录':10}  {r.place}  {r.label} {r.value}  《{r.source}》")
    return 1 if args.fail else 0


def _cmd_kb_schema(args: argparse.Namespace) -> int:
    from knowledge.schema import SCHEMA_DIR, write_json_schemas

    if args.check:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            fresh = write_json_schemas(Path(tmp))
            stale_files = [f.name for f in fresh if not (SCHEMA_DIR / f.name).exists()
                           or (SCHEMA_DIR / f.name).read_text(encoding="utf-8") != f.read_text(encoding="utf-8")]
        if stale_files:
            print("out of date (run `gongyou kb schema`): " + ", ".join(stale_files), file=sys.stderr)
            return 1
        print("JSON Schemas are up to date")
        return 0
    for path in write_json_schemas():
        print(f"wrote {path}")
    return 0


def _cmd_lookup(args: argparse.Namespace) -> int:
    from knowledge.db import session_scope
    from knowledge.search import render_text, search

    query = " ".join(args.query)
    with session_scope() as session:
        result = search(session, query, on=args.date, limit=args.limit)
        if args.json:
            print(json.dumps(result.as_dict(), ensure_ascii=False, indent=1))
        else:
            print(render_text(result))
    return 0 if result.items else 2


def _cmd_calc(args: argparse.Namespace) -> int:
    from knowledge.calculators import CALCULATORS, CalculationError, run_calculator
    from knowledge.db import session_scope

    params, as_json = {}, False
    tokens = list(args.params or [])
    while tokens:
        token = tokens.pop(0)
        if token == "--json":
            as_json = True
            continue
        name, eq, value = token.lstrip("-").partition("=")
        if not eq:
            if not tokens:
                print(f"parameter {token!r} has no value", file=sys.stderr)
                return 2
            value = tokens.pop(0)
        params[name.strip().replace("-", "_")] = value.strip()
    if args.kind not in CALCULATORS:
        print(f"unknown calculator {args.kind!r}; one of: {', '.join(sorted(CALCULATORS))}", file=sys.stderr)
        return 2
    with session_scope() as session:
        try:
            result = run_calculator(session, args.kind, params)
        except CalculationError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    if as_json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=1))
    else:
        print(result.render_text())
    return 0


def _cmd_stations_import(args: argparse.Namespace) -> int:
    from knowledge.db import session_scope, upgrade
    from knowledge.stations import import_csv

    upgrade()
    with session_scope() as session:
        report = import_csv(session, args.file, actor=args.actor)
        if report.rejected and args.all_or_nothing:
            session.rollback()
    for line in report.lines():
        print(line)
    return 1 if report.rejected else 0


def register(sub: "argparse._SubParsersAction") -> None:
    """Add the knowledge-base commands to the ``gongyou`` parser."""
    kb = sub.add_parser("kb", help="knowledge base").add_subparsers(dest="kb_command", required=True)
    p = kb.add_parser("load", help="validate knowledge/data and load it (migrating the schema first)")
    p.add_argument("--force", action="store_true", help="load even if the files did not change")
    p.set_defaults(func=_cmd_kb_load)
    p = kb.add_parser("check", help="validate knowledge/data without loading")
    p.set_defaults(func=_cmd_kb_check)
    p = kb.add_parser("coverage", help="province × item table of what is known")
    p.add_argument("--date", type=date.fromisoformat, default=None, help="as of this date (YYYY-MM-DD)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_kb_coverage)
    p = kb.add_parser("stale", help="figures in use not re-verified within --months (default 12)")
    p.add_argument("--months", type=int, default=12)
    p.add_argument("--date", type=date.fromisoformat, default=None, help="as of this date (YYYY-MM-DD)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--fail", action="store_true", help="exit 1 when any figure is stale (for CI or cron)")
    p.set_defaults(func=_cmd_kb_stale)
    p = kb.add_parser("schema", help="write the JSON Schemas of the data files (knowledge/data/schema/)")
    p.add_argument("--check", action="store_true", help="only check that the committed schemas are current")
    p.set_defaults(func=_cmd_kb_schema)

    p = sub.add_parser("lookup", help='staff look-up, e.g. gongyou lookup 江苏 产假')
    p.add_argument("query", nargs="+")
    p.add_argument("--date", type=date.fromisoformat, default=None, help="answer as of this date (YYYY-MM-DD)")
    p.add_argument("--limit", type=int, default=12)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_lookup)

    p = sub.add_parser("calc", help="calculators, e.g. gongyou calc compensation --months 42 --wage 6000 --json")
    p.add_argument("kind")
    p.add_argument("params", nargs=argparse.REMAINDER, help="--name value pairs (see `gongyou calc list`)")
    p.set_defaults(func=_cmd_calc)

    stations = sub.add_parser("stations", help="service points").add_subparsers(dest="stations_command", required=True)
    p = stations.add_parser("import", help="import service points from a CSV file")
    p.add_argument("file")
    p.add_argument("--actor", default="cli", help="who is importing (recorded in the audit log)")
    p.add_argument("--all-or-nothing", action="store_true", help="import nothing if any row is rejected")
    p.set_defaults(func=_cmd_stations_import)
