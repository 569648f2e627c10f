"""Document downloads: ``/documents/{link}`` lists a case's documents, ``/documents/{link}/{kind}.{docx|pdf}``
builds one. The link carries the case, sealed (:mod:`knowledge.documents.links`); nothing is stored."""
from __future__ import annotations

import asyncio
import time
from urllib.parse import quote

from aiohttp import web

from knowledge.documents import CaseFacts, available_kinds, compose
from knowledge.documents.content import spec
from knowledge.documents.links import LinkError, unseal

CONTENT_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "pdf": "application/pdf"}
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}


def _open(request: web.Request) -> CaseFacts:
    try:
        return unseal(request.match_info["token"])
    except LinkError as error:
        from bot.web.staff import render

        gone = error.expired
        message = ("这个链接已经过期（24小时）。请回到对话里再点一次“生成文书”。" if gone
                   else "没有找到这个文书链接，请检查是否复制完整。")
        page = render(request, "documents/error.html", http_status=410 if gone else 404, message=message)
        raise (web.HTTPGone if gone else web.HTTPNotFound)(text=page.text, content_type="text/html",
                                                           headers=PRIVATE) from None


async def documents_page(request: web.Request) -> web.Response:
    """The case's documents, each as Word (to edit) and PDF (to print)."""
    from bot.web.staff import render
    from knowledge.hotlines import national_hotlines

    case = _open(request)
    kinds = spec()["kinds"]
    token = request.match_info["token"]
    links = [{"title": kinds[k]["title"], "docx": f"/documents/{token}/{k}.docx", "pdf": f"/documents/{token}/{k}.pdf"}
             for k in available_kinds(case.topic)]
    hotlines = "、".join(f"{h.name} {h.phone}" for h in national_hotlines())
    response = render(request, "documents/page.html", links=links, hotlines=hotlines)
    response.headers.update(PRIVATE)
    return response


def build(case: CaseFacts, kind: str, fmt: str) -> bytes:
    """The file for one document (runs in a thread: PDF fonts take a second to subset)."""
    from knowledge.db import session_scope
    from knowledge.documents.docx_file import to_docx
    from knowledge.documents.pdf_file import to_pdf

    with session_scope() as session:
        doc = compose(session, kind, case)
    return to_pdf(doc) if fmt == "pdf" else to_docx(doc)


async def document_file(request: web.Request) -> web.Response:
    case = _open(request)
    kind, fmt = request.match_info["kind"], request.match_info["fmt"]
    if kind not in available_kinds(case.topic):
        raise web.HTTPNotFound(text="这个问题没有这种文书")
    from knowledge.documents.pdf_file import FontMissing

    started = time.perf_counter()
    try:
        body = await asyncio.get_running_loop().run_in_executor(None, build, case, kind, fmt)
    except FontMissing:
        raise web.HTTPServiceUnavailable(text="这台服务器没有中文字体，暂时不能生成PDF；请下载Word版。") from None
    response = file_response(body, f"{spec()['kinds'][kind]['file']}.{fmt}", fmt, inline=fmt == "pdf")
    response.headers["Server-Timing"] = f"build;dur={(time.perf_counter() - started) * 1000:.0f}"
    return response


def file_response(body: bytes, name: str, fmt: str, inline: bool = False) -> web.Response:
    """A document file, never cached, named ``name`` (UTF-8, with an ASCII fallback for old browsers)."""
    disposition = "inline" if inline else "attachment"
    return web.Response(body=body, content_type=CONTENT_TYPES[fmt], headers={
        **PRIVATE, "Content-Disposition": f"{disposition}; filename=\"document.{fmt}\"; filename*=UTF-8''{quote(name)}"})


def add_routes(app: web.Application) -> None:
    """Mount the document downloads on ``app``."""
    app.router.add_get("/documents/{token}", documents_page)
    app.router.add_get("/documents/{token}/{kind}.{fmt:docx|pdf}", document_file)
