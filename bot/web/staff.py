"""Hotline staff console at /staff: search, calculators, the case queue, data upkeep.

Sessions are kept in the database (:mod:`knowledge.staff`): the browser holds a
random token in a cookie (HttpOnly, SameSite=Strict; over HTTPS ``Secure`` and the
``__Host-`` prefix), every request checks that the session is live and reads the
account's current role, and every form must echo the session's CSRF token. A
login must come from this site (``Origin``), is limited per address, and its
password check runs off the event loop. Pages are Jinja2 templates with
autoescaping on.
"""
from __future__ import annotations

import asyncio
import hmac
import io
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

import jinja2
import sqlalchemy as sa
from aiohttp import web

from bot.web.security import Handler, client_address, is_secure
from knowledge import models
from knowledge.staff import SESSION_MAX_AGE
from knowledge.taxonomy import TOPICS

COOKIE = "gongyou_staff"
SECURE_COOKIE = "__Host-gongyou_staff"  # only over HTTPS, only for this host, path /
TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
                               autoescape=True)
# Messages a redirect may show, by code (never free text from the URL).
MESSAGES = {
    "bad_move": "这个状态变更不允许。",
    "logged_out": "已退出。",
    "expired": "登录已过期，请重新登录。",
}


def _case(db: Any, reference: str) -> Optional[models.Case]:
    """The case with this reference, or None."""
    return db.execute(sa.select(models.Case).where(models.Case.reference == reference)).scalars().one_or_none()


def _db() -> Any:
    from knowledge.db import session_scope

    return session_scope()


def _token(request: web.Request) -> Optional[str]:
    return request.cookies.get(SECURE_COOKIE) or request.cookies.get(COOKIE)


def render(request: web.Request, template: str, http_status: int = 200, **context: Any) -> web.Response:
    session = request.get("staff")
    html = TEMPLATES.get_template(template).render(user=session, topics=TOPICS, **context)
    response = web.Response(text=html, content_type="text/html", status=http_status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _same_origin(request: web.Request) -> bool:
    """A form post from this site: its Origin (or Referer) names this host, or names none at all."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


@web.middleware
async def staff_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every /staff page needs a live session; admin pages need the admin role now; every POST the CSRF token."""
    if not request.path.startswith("/staff") or request.path in ("/staff/login", "/staff/static"):
        return await handler(request)
    from knowledge.staff import current_session

    with _db() as db:
        live = current_session(db, _token(request))
        staff = {"uid": live.user_id, "name": live.user.name, "role": live.user.role, "csrf": live.csrf} if live else None
    if staff is None:
        raise web.HTTPFound("/staff/login?msg=expired" if _token(request) else "/staff/login")
    request["staff"] = staff
    if request.path.startswith("/staff/admin") and staff["role"] != "admin":
        return render(request, "staff/error.html", http_status=403, message="只有管理员可以打开这个页面。")
    if request.method == "POST":
        form = await request.post()
        request["form"] = form
        if not hmac.compare_digest(str(form.get("csrf", "")), staff["csrf"]) or not _same_origin(request):
            return render(request, "staff/error.html", http_status=403, message="表单已过期，请刷新页面后重试。")
    return await handler(request)


async def login_page(request: web.Request) -> web.Response:
    return render(request, "staff/login.html", message=MESSAGES.get(request.query.get("msg", "")))


async def login(request: web.Request) -> web.Response:
    from knowledge.staff import AccountError, authenticate, start_session

    if not _same_origin(request):
        return render(request, "staff/login.html", http_status=403, error="请从本站的登录页登录。")
    form = await request.post()
    name, password = str(form.get("name", ""))[:80], str(form.get("password", ""))[:1000]
    address = client_address(request)

    def check() -> str:
        # argon2 takes tens of milliseconds of CPU: off the event loop, so chats are not held up.
        with _db() as db:
            user = authenticate(db, name, password, address=address)
            token, _ = start_session(db, user, address=address)
            return token

    try:
        token = await asyncio.get_running_loop().run_in_executor(None, check)
    except AccountError as error:
        return render(request, "staff/login.html", http_status=401, error=str(error), name=name)
    response = web.HTTPFound("/staff/search")
    secure = is_secure(request)
    response.set_cookie(SECURE_COOKIE if secure else COOKIE, token, httponly=True, samesite="Strict", secure=secure,
                        max_age=int(SESSION_MAX_AGE.total_seconds()), path="/")
    raise response


async def logout(request: web.Request) -> web.Response:
    from knowledge.staff import end_session

    with _db() as db:
        end_session(db, _token(request))
    response = web.HTTPFound("/staff/login?msg=logged_out")
    for name in (COOKIE, SECURE_COOKIE):
        response.del_cookie(name, path="/")
    raise response


async def home(request: web.Request) -> web.Response:
    raise web.HTTPFound("/staff/search")


async def search_page(request: web.Request) -> web.Response:
    from knowledge.search import search

    query = request.query.get("q", "").strip()[:200]
    on = _date(request.query.get("date"))
    result = None
    if query:
        with _db() as db:
            result = search(db, query, on=on)
    return render(request, "staff/search.html", query=query, result=result, on=on)


def _date(value: Optional[str]) -> Optional[date]:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


async def calc_page(request: web.Request) -> web.Response:
    from knowledge.calculators import CALCULATORS, run_calculator
    from knowledge.calculators.base import CalculationError

    kind = request.query.get("kind", "compensation")
    calculator = CALCULATORS.get(kind) or CALCULATORS["compensation"]
    params = {k: v for k, v in request.query.items() if k not in ("kind", "run")}
    result, error = None, None
    if request.query.get("run"):
        try:
            with _db() as db:
                result = run_calculator(db, kind, params)
        except CalculationError as exc:
            error = str(exc)
    return render(request, "staff/calc.html", kinds=CALCULATORS, kind=kind, calculator=calculator,
                  params=params, result=result, error=error)


def _queue_filter(request: web.Request) -> Any:
    from knowledge.case_queue import CaseFilter

    return CaseFilter.from_query(request.query)


def _page_number(request: web.Request) -> int:
    value = request.query.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 7 else 1


async def cases_page(request: web.Request) -> web.Response:
    from knowledge.case_queue import find_cases
    from knowledge.cases import STATUS_NAMES
    from knowledge.regions import region_index

    f = _queue_filter(request)
    with _db() as db:
        found = find_cases(db, f, page=_page_number(request))
        items = [{"reference": c.reference, "created_at": c.created_at, "status": STATUS_NAMES.get(c.status, c.status),
                  "urgency": c.urgency, "topic": TOPICS.get(c.topic or "", "—"),
                  "place": region_index().full_name(c.place_adcode) if c.place_adcode else "—",
                  "summary": c.summary} for c in found.cases]
    provinces = [(r.adcode, r.name) for r in region_index().provinces() if r.mainland]
    pages = {"prev": f.as_query(page=found.page - 1) if found.page > 1 else None,
             "next": f.as_query(page=found.page + 1) if found.page < found.pages else None}
    return render(request, "staff/cases.html", items=items, statuses=STATUS_NAMES, filter=f, provinces=provinces,
                  found=found, pages=pages, export_query=f.as_query())


async def cases_export(request: web.Request) -> web.Response:
    """The filtered queue as CSV or Excel, numbers masked; the export is recorded in the audit log."""
    from knowledge.case_queue import export_rows, record_access, to_csv, to_xlsx

    kind = request.match_info["kind"]
    f = _queue_filter(request)
    with _db() as db:
        rows = export_rows(db, f)
        record_access(db, request["staff"]["name"], "export", None,
                      {"format": kind, "cases": len(rows) - 1, "filter": f.describe()})

    def build() -> bytes:
        return to_xlsx(rows) if kind == "xlsx" else to_csv(rows)

    body = await asyncio.get_running_loop().run_in_executor(None, build)
    name = f"gongyou-cases-{clock_stamp()}.{kind}"
    content_type = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if kind == "xlsx"
                    else "text/csv; charset=utf-8")
    return web.Response(body=body, content_type=content_type.split(";")[0], charset="utf-8" if kind == "csv" else None,
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def clock_stamp() -> str:
    """Today's date for file names (the injectable clock)."""
    from knowledge import clock

    return clock.china_now().strftime("%Y%m%d-%H%M")


def _case_view(case: models.Case) -> Dict[str, Any]:
    from knowledge.cases import STATUS_NAMES, TRANSITIONS
    from knowledge.regions import region_index

    return {"reference": case.reference, "status": case.status, "status_name": STATUS_NAMES[case.status],
            "urgency": case.urgency, "reason": case.reason, "topic": TOPICS.get(case.topic or "", "—"),
            "place": region_index().full_name(case.place_adcode) if case.place_adcode else "—",
            "facts": case.facts or {}, "deadlines": case.deadlines or [], "summary": case.summary,
            "transcript": case.transcript or [], "phone": case.callback_phone, "consent_at": case.consent_at,
            "created_at": case.created_at,
            "events": [{"at": e.at, "actor": e.actor, "kind": e.kind, "from": STATUS_NAMES.get(e.from_status or "", ""),
                        "to": STATUS_NAMES.get(e.to_status or "", ""), "note": e.note} for e in case.events],
            "moves": [(s, STATUS_NAMES[s]) for s in TRANSITIONS.get(case.status, ())]}


async def case_page(request: web.Request) -> web.Response:
    from knowledge.case_queue import record_access

    printing = request.path.endswith("/print")
    with _db() as db:
        case = _case(db, request.match_info["reference"])
        if case is None:
            raise web.HTTPNotFound(text="没有这个案件")
        view = _case_view(case)
        # Who opened which case, and when (personal information law: access to case data is logged).
        record_access(db, request["staff"]["name"], "print" if printing else "view", case.reference)
    from knowledge.documents import available_kinds
    from knowledge.documents.content import spec

    kinds = [(k, spec()["kinds"][k]["title"]) for k in available_kinds(case.topic, staff=True)]
    return render(request, "staff/case_print.html" if printing else "staff/case.html", case=view,
                  message=MESSAGES.get(request.query.get("msg", "")), document_kinds=kinds,
                  party_fields=PARTY_FIELDS)


PARTY_FIELDS = (("name", "职工姓名"), ("gender", "性别"), ("birth", "出生日期"), ("id_number", "身份证号码"),
                ("phone", "联系电话"), ("address", "住所"), ("job", "职业"), ("employer", "单位全称"),
                ("employer_address", "单位住所"), ("employer_rep", "法定代表人（主要负责人）"),
                ("employer_rep_title", "职务"))


async def case_documents(request: web.Request) -> web.Response:
    """A document of the case, with what staff typed into the form; nothing typed is stored."""
    from bot.web.documents import build, file_response
    from knowledge import clock
    from knowledge.case_queue import record_access
    from knowledge.documents import CaseFacts, Parties, available_kinds
    from knowledge.documents.content import spec
    from knowledge.documents.pdf_file import FontMissing

    form = request["form"]
    kind, fmt = str(form.get("kind", "")), "pdf" if form.get("format") == "pdf" else "docx"
    with _db() as db:
        case = _case(db, request.match_info["reference"])
        if case is None:
            raise web.HTTPNotFound(text="没有这个案件")
        if kind not in available_kinds(case.topic, staff=True):
            raise web.HTTPBadRequest(text="这个案件没有这种文书")
        workers = str(form.get("workers") or "1")
        parties = Parties(**{k: str(form.get(k) or "").strip()[:80] for k, _ in PARTY_FIELDS},
                          workers=int(workers) if workers.isdigit() and 0 < int(workers) < 10_000 else 1)
        facts = CaseFacts(case.topic, case.place_adcode, dict(case.facts or {}), clock.today(), parties, case.reference)
        record_access(db, request["staff"]["name"], "document", case.reference, {"kind": kind, "format": fmt})

    try:
        body = await asyncio.get_running_loop().run_in_executor(None, build, facts, kind, fmt)
    except FontMissing:
        raise web.HTTPServiceUnavailable(text="这台服务器没有中文字体，暂时不能生成PDF；请选Word版。") from None
    return file_response(body, f"{facts.reference}-{spec()['kinds'][kind]['file']}.{fmt}", fmt)


async def case_status(request: web.Request) -> web.Response:
    from knowledge.cases import change_status

    form = request["form"]
    reference = request.match_info["reference"]
    with _db() as db:
        case = _case(db, reference)
        if case is None:
            raise web.HTTPNotFound(text="没有这个案件")
        try:
            change_status(db, case, str(form.get("to", "")), request["staff"]["name"], str(form.get("note") or "") or None)
        except ValueError:
            raise web.HTTPFound(f"/staff/cases/{reference}?msg=bad_move") from None
    raise web.HTTPFound(f"/staff/cases/{reference}")


async def case_note(request: web.Request) -> web.Response:
    from knowledge.cases import add_note

    note = str(request["form"].get("note", "")).strip()
    reference = request.match_info["reference"]
    if note:
        with _db() as db:
            case = _case(db, reference)
            if case is None:
                raise web.HTTPNotFound(text="没有这个案件")
            add_note(db, case, request["staff"]["name"], note[:4000])
    raise web.HTTPFound(f"/staff/cases/{reference}")


async def admin_page(request: web.Request, report=None, figure_message=None) -> web.Response:
    with _db() as db:
        audit = [{"at": a.at, "actor": a.actor, "entity": a.entity, "entity_id": a.entity_id, "action": a.action,
                  "before": a.before, "after": a.after}
                 for a in db.execute(sa.select(models.AuditEntry).where(models.AuditEntry.entity != "case")
                                    .order_by(models.AuditEntry.id.desc()).limit(50)).scalars()]
    from knowledge.loader import figure_catalogue

    return render(request, "staff/admin.html", report=report, audit=audit, keys=figure_catalogue(),
                  figure_message=figure_message)


async def admin_get(request: web.Request) -> web.Response:
    return await admin_page(request)


async def admin_import(request: web.Request) -> web.Response:
    from knowledge.stations import import_csv

    upload = request["form"].get("file")
    if upload is None or not hasattr(upload, "file"):
        return await admin_page(request, report={"error": "请选择一个CSV文件"})
    text = upload.file.read().decode("utf-8-sig", errors="replace")
    with _db() as db:
        report = import_csv(db, io.StringIO(text), actor=request["staff"]["name"]).as_dict()
    return await admin_page(request, report=report)


async def admin_figure(request: web.Request) -> web.Response:
    from knowledge.figures_admin import FigureError, add_figure

    form = request["form"]
    try:
        with _db() as db:
            message = add_figure(db, actor=request["staff"]["name"], key=str(form.get("key", "")),
                                 place=str(form.get("place", "")), value=str(form.get("value", "")),
                                 valid_from=str(form.get("valid_from", "")), title=str(form.get("title", "")),
                                 article=str(form.get("article", "")), source=str(form.get("source", "")))
    except FigureError as error:
        message = f"没有保存：{error}"
    return await admin_page(request, figure_message=message)


ACCOUNT_DONE = {"enable": "已启用", "disable": "已停用，登录已全部失效", "role": "角色已改，登录已全部失效",
                "reset-password": "密码已重设，登录已全部失效", "delete": "已删除", "add": "已新增"}


async def accounts_page(request: web.Request, message: Optional[str] = None, error: Optional[str] = None
                        ) -> web.Response:
    """Accounts with their actions, the login history and who opened which case."""
    from knowledge.case_queue import access_log
    from knowledge.staff import list_users, login_history

    who = (request.query.get("name") or "").strip()[:80] or None
    with _db() as db:
        accounts = list_users(db)
        logins = [{"at": e.at, "name": e.name, "address": e.address, "success": e.success, "reason": e.reason}
                  for e in login_history(db, who)]
        access = [{"at": a.at, "actor": a.actor, "reference": a.entity_id, "action": a.action, "detail": a.after}
                  for a in access_log(db)]
    return render(request, "staff/accounts.html", accounts=accounts, logins=logins, access=access, who=who,
                  message=message, error=error)


async def accounts_get(request: web.Request) -> web.Response:
    return await accounts_page(request)


async def account_change(request: web.Request) -> web.Response:
    """One account action from the accounts page (the password check runs off the event loop)."""
    from knowledge.staff import AccountError, add_user, change_account

    form = request["form"]
    change = request.match_info["change"]
    name = str(form.get("name", "")).strip()[:80]
    actor = request["staff"]["name"]

    def apply() -> None:
        with _db() as db:
            if change == "add":
                add_user(db, name, str(form.get("role", "")), str(form.get("password", "")))
                db.add(models.AuditEntry(actor=actor, entity="staff_user", entity_id=name, action="add",
                                         before=None, after={"role": str(form.get("role", "")), "active": True}))
            else:
                change_account(db, actor, name, change, role=str(form.get("role") or "") or None,
                               password=str(form.get("password") or ""))

    try:
        await asyncio.get_running_loop().run_in_executor(None, apply)
    except AccountError as error:
        return await accounts_page(request, error=f"{name}：{error}")
    return await accounts_page(request, message=f"{name}：{ACCOUNT_DONE.get(change, '已完成')}")


async def overview(request: web.Request) -> web.Response:
    from bot.web.charts import bars, coverage_grid, stacked_columns
    from knowledge.coverage import ITEMS, coverage, stale, verified_dates
    from knowledge.regions import region_index

    with _db() as db:
        cases = db.execute(sa.select(models.Case.topic, models.Case.province_adcode, models.Case.created_at)).all()
        table = coverage(db)
        old = stale(db)
        checked = verified_dates(db)
    by_topic = Counter(TOPICS.get(t or "", "未分类") for t, _, _ in cases)
    by_province = Counter(region_index().full_name(p) if p else "未知" for _, p, _ in cases)
    by_month: Dict[str, Counter] = defaultdict(Counter)
    for topic, _, created in cases:
        by_month[created.strftime("%Y-%m")][TOPICS.get(topic or "", "未分类")] += 1
    months = sorted(by_month.items())[-24:]  # the last two years at most: a column stays readable
    charts = {"topic": bars(by_topic.most_common(), "按问题的案件数"),
              "province": bars(by_province.most_common(), "按省份的案件数"),
              "month": stacked_columns(months, "每月案件数（按问题分色）"),
              "coverage": coverage_grid({p: {ITEMS[k][0] if k in ITEMS else k: c for k, c in row.items()}
                                         for p, row in table.items()}, "各省知识库覆盖")}
    return render(request, "staff/overview.html", by_topic=by_topic.most_common(), by_province=by_province.most_common(),
                  by_month=months, charts=charts, cases=len(cases), coverage=table, items=ITEMS, stale=old,
                  checked=checked)


def add_routes(app: web.Application) -> None:
    """Mount the console on ``app``."""
    app.middlewares.append(staff_guard)
    r = app.router
    r.add_get("/staff/login", login_page)
    r.add_post("/staff/login", login)
    r.add_post("/staff/logout", logout)
    r.add_get("/staff", home)
    r.add_get("/staff/search", search_page)
    r.add_get("/staff/calc", calc_page)
    r.add_get("/staff/cases", cases_page)
    r.add_get("/staff/cases.{kind:csv|xlsx}", cases_export)
    r.add_get("/staff/cases/{reference}", case_page)
    r.add_get("/staff/cases/{reference}/print", case_page)
    r.add_post("/staff/cases/{reference}/status", case_status)
    r.add_post("/staff/cases/{reference}/note", case_note)
    r.add_post("/staff/cases/{reference}/documents", case_documents)
    r.add_get("/staff/overview", overview)
    r.add_get("/staff/admin", admin_get)
    r.add_post("/staff/admin/stations", admin_import)
    r.add_post("/staff/admin/figures", admin_figure)
    r.add_get("/staff/admin/accounts", accounts_get)
    r.add_post("/staff/admin/accounts/{change:add|enable|disable|role|reset-password|delete}", account_change)
