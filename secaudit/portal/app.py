"""The portal's pages: owners answer by invitation link, officers and auditors sign in and follow progress.

Every handler parses the request, calls the library in a worker thread (it uses the database),
and renders a template; every form carries the session's CSRF token and is refused without it.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from secaudit.errors import SecauditError
from secaudit.evidence_files import content_disposition
from secaudit.model import Language
from secaudit.model.labels import STATUS_TEXT, name_of
from secaudit.model.vocab import REVIEW_RESULTS
from secaudit.pipeline import portal_access as access
from secaudit.pipeline import portal_answers as answering
from secaudit.pipeline.portal_answers import OwnerQuestionnaire
from secaudit.pipeline.session import Session
from secaudit.portal.security import SESSION_COOKIE, SIGN_IN_COOKIE, Protect, cookie_options
from secaudit.portal.texts import text

if TYPE_CHECKING:
    from secaudit.pipeline.portal_access import SignIn

HERE = Path(__file__).resolve().parent
T = TypeVar("T")
MAX_FIELDS = 400
MAX_FIELD_BYTES = 64 * 1024


class Portal:
    """The application's state: the workspace session, templates, and whether it is served as https."""

    def __init__(self, session: Session, https: bool | None = None) -> None:
        self.session = session
        self.https = https if https is not None else session.workspace().config.portal.public_url.startswith("https://")
        self.lang = session.workspace().config.language
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a library call (it uses the database) off the event loop."""
        return await run_in_threadpool(partial(fn, *args))

    def page(self, template: str, lang: Language, status: int = 200, **values: Any) -> HTMLResponse:
        """A rendered page in ``lang``."""
        html = self.templates.get_template(template).render(t=partial(text, lang=lang), lang=lang.value, **values)
        return HTMLResponse(html, status_code=status)

    def set_session(self, response: Response, cookie: str) -> None:
        """Give the browser its session cookie."""
        response.set_cookie(SESSION_COOKIE, cookie, **cookie_options(self.https))  # type: ignore[arg-type]

    async def signed_in(self, request: Request, kinds: tuple[str, ...]) -> SignIn | None:
        """The request's live session if it is of one of ``kinds``."""
        found = await self.call(access.current, self.session, request.cookies.get(SESSION_COOKIE))
        return found if found is not None and found.kind in kinds else None

    async def form(self, request: Request) -> FormData:
        """The posted form, within the field limits."""
        return await request.form(max_files=1, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES)

    def refuse_csrf(self, lang: Language) -> HTMLResponse:
        """The page for a form posted without its session's CSRF token."""
        return self.page(
            "message.html.j2", lang, 403, title=text("forbidden_title", lang), body=text("csrf_refused", lang)
        )


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def build_app(session: Session, https: bool | None = None) -> ASGIApp:
    """The portal as an ASGI application over one workspace; ``https`` (default: the public address's scheme)
    marks cookies Secure and sends HSTS."""
    portal = Portal(session, https)

    async def landing(request: Request) -> Response:
        return portal.page("landing.html.j2", portal.lang)

    async def invite(request: Request) -> Response:
        token = request.path_params["token"]
        try:
            cookie, invitation = await portal.call(access.open_owner_session, session, token, _client(request))
        except access.AccessRefused:
            lang = portal.lang
            return portal.page(
                "message.html.j2", lang, 403, title=text("refused_title", lang), body=text("refused_body", lang)
            )
        response = RedirectResponse("/owner", status_code=303)
        portal.set_session(response, cookie)
        return response

    async def owner_context(request: Request) -> tuple[SignIn, OwnerQuestionnaire] | Response:
        sign_in = await portal.signed_in(request, ("owner",))
        if sign_in is None:
            lang = portal.lang
            return portal.page(
                "message.html.j2", lang, 403, title=text("refused_title", lang), body=text("signed_out", lang)
            )
        invitation = await portal.call(access.invitation_by_id, session, sign_in.subject)
        try:
            return sign_in, await portal.call(OwnerQuestionnaire, session, invitation)
        except SecauditError:  # the service's file was removed or broken since the invitation: say so, no trace
            lang = Language(invitation.language)
            return portal.page(
                "message.html.j2", lang, 409, title=text("refused_title", lang), body=text("service_unavailable", lang)
            )

    async def owner_home(request: Request) -> Response:
        found = await owner_context(request)
        if isinstance(found, Response):
            return found
        sign_in, questionnaire = found
        sections = await portal.call(questionnaire.sections)
        progress = questionnaire.progress(sections)
        returned = [q for s in sections for q in s.questions if q.returned]
        return portal.page(
            "owner.html.j2",
            questionnaire.lang,
            returned=returned,
            q=questionnaire,
            sections=sections,
            progress=progress,
            csrf=sign_in.csrf,
        )

    async def owner_section(request: Request) -> Response:
        found = await owner_context(request)
        if isinstance(found, Response):
            return found
        sign_in, questionnaire = found
        return await _section_page(portal, questionnaire, sign_in, request.path_params["number"], {})

    async def owner_form(request: Request) -> tuple[SignIn, OwnerQuestionnaire, FormData] | Response:
        """A form an owner posts: a live owner's session and the form, with its CSRF token checked."""
        found = await owner_context(request)
        if isinstance(found, Response):
            return found
        sign_in, questionnaire = found
        form = await portal.form(request)
        if not access.csrf_matches(sign_in, _field(form, "csrf")):
            return portal.refuse_csrf(questionnaire.lang)
        return sign_in, questionnaire, form

    async def owner_answer(request: Request) -> Response:
        posted = await owner_form(request)
        if isinstance(posted, Response):
            return posted
        sign_in, questionnaire, form = posted
        ref = _field(form, "ref")
        sent = form.get("file")
        upload = None
        if isinstance(sent, UploadFile) and sent.filename:
            upload = (await sent.read(), sent.filename)
        problems = await portal.call(
            questionnaire.save,
            ref,
            [v for v in form.getlist("value") if isinstance(v, str)],
            _field(form, "evidence"),
            _field(form, "comment"),
            upload,
            _field(form, "valid_until"),
        )
        section = _field(form, "section")
        if problems:
            return await _section_page(portal, questionnaire, sign_in, section, {ref: [p.message for p in problems]})
        anchor = questionnaire.item(ref)
        return RedirectResponse(f"/owner/section/{section}#q-{anchor.number if anchor else ''}", status_code=303)

    async def owner_submit(request: Request) -> Response:
        posted = await owner_form(request)
        if isinstance(posted, Response):
            return posted
        sign_in, questionnaire, _ = posted
        result = await portal.call(questionnaire.submit)
        return portal.page("submitted.html.j2", questionnaire.lang, result=result, csrf=sign_in.csrf)

    async def sign_in_page(request: Request) -> Response:
        token = secrets.token_urlsafe(32)
        response = portal.page("signin.html.j2", portal.lang, csrf=token, problem="")
        response.set_cookie(SIGN_IN_COOKIE, token, **cookie_options(portal.https))  # type: ignore[arg-type]
        return response

    async def sign_in(request: Request) -> Response:
        form = await portal.form(request)
        expected = request.cookies.get(SIGN_IN_COOKIE, "")
        given = _field(form, "csrf")
        if not expected or not secrets.compare_digest(expected.encode(), given.encode()):
            return portal.refuse_csrf(portal.lang)
        try:
            cookie = await portal.call(
                access.sign_in, session, _field(form, "name"), _field(form, "password"), _client(request)
            )
        except access.AccessRefused as refused:
            key = "sign_in_throttled" if refused.reason is access.Refusal.THROTTLED else "sign_in_failed"
            status = 429 if refused.reason is access.Refusal.THROTTLED else 401
            return portal.page("signin.html.j2", portal.lang, status, csrf=expected, problem=text(key, portal.lang))
        response = RedirectResponse("/officer", status_code=303)
        response.delete_cookie(SIGN_IN_COOKIE, path="/")
        portal.set_session(response, cookie)
        return response

    async def sign_out(request: Request) -> Response:
        sign_in = await portal.signed_in(request, ("owner", "officer", "auditor"))
        form = await portal.form(request)
        if sign_in is None or not access.csrf_matches(sign_in, _field(form, "csrf")):
            return portal.refuse_csrf(portal.lang)
        await portal.call(access.sign_out, session, request.cookies.get(SESSION_COOKIE, ""), sign_in.subject)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def officer_home(request: Request) -> Response:
        sign_in = await portal.signed_in(request, ("officer", "auditor"))
        if sign_in is None:
            return RedirectResponse("/signin", status_code=303)
        rows = await portal.call(answering.overview, session, portal.lang)
        return portal.page("officer.html.j2", portal.lang, rows=rows, who=sign_in, csrf=sign_in.csrf)

    async def officer_service(request: Request) -> Response:
        sign_in = await portal.signed_in(request, ("officer", "auditor"))
        if sign_in is None:
            return RedirectResponse("/signin", status_code=303)
        service_id = request.path_params["service"]
        try:
            service = await portal.call(session.service, service_id)
        except SecauditError:  # an unknown or broken service file: the page does not exist
            raise HTTPException(404) from None
        return await _service_page(portal, service, sign_in, {})

    async def officer_form(request: Request) -> tuple[SignIn, FormData, Any] | Response:
        """A form an officer posts about one service: signed in, CSRF token, an officer (auditors read only)."""
        sign_in = await portal.signed_in(request, ("officer", "auditor"))
        if sign_in is None:
            return RedirectResponse("/signin", status_code=303)
        form = await portal.form(request)
        if not access.csrf_matches(sign_in, _field(form, "csrf")):
            return portal.refuse_csrf(portal.lang)
        if sign_in.kind != "officer":
            lang = portal.lang
            return portal.page(
                "message.html.j2", lang, 403, title=text("forbidden_title", lang), body=text("read_only", lang)
            )
        try:
            service = await portal.call(session.service, request.path_params["service"])
        except SecauditError:
            raise HTTPException(404) from None
        return sign_in, form, service

    async def officer_review(request: Request) -> Response:
        found = await officer_form(request)
        if isinstance(found, Response):
            return found
        sign_in, form, service = found
        control = _field(form, "control")
        result, note = _field(form, "result"), _field(form, "note")
        try:
            await portal.call(answering.review, session, service.id, control, result, note, sign_in.subject)
        except SecauditError as exc:
            return await _service_page(portal, service, sign_in, {control: exc.message})
        return RedirectResponse(f"/officer/service/{service.id}#c-{control}", status_code=303)

    async def officer_return(request: Request) -> Response:
        found = await officer_form(request)
        if isinstance(found, Response):
            return found
        sign_in, form, service = found
        ref = _field(form, "ref")
        try:
            await portal.call(answering.send_back, session, service.id, ref, _field(form, "comment"), sign_in.subject)
        except SecauditError as exc:
            return await _service_page(portal, service, sign_in, {ref: exc.message})
        return RedirectResponse(f"/officer/service/{service.id}", status_code=303)

    async def download(request: Request) -> Response:
        sign_in = await portal.signed_in(request, ("owner", "officer", "auditor"))
        if sign_in is None:
            raise HTTPException(404)
        limit = None
        if sign_in.kind == "owner":
            limit = (await portal.call(access.invitation_by_id, session, sign_in.subject)).service_id
        try:
            record, data = await portal.call(answering.evidence_download, session, request.path_params["file"], limit)
        except SecauditError:
            raise HTTPException(404) from None
        return Response(
            data,
            media_type=record.media_type,
            headers={
                "content-disposition": content_disposition(record.name),
                "content-security-policy": "default-src 'none'; sandbox",
            },
        )

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        if status == 405:
            return Response(status_code=405, headers={"allow": "GET, HEAD, POST"})
        return portal.page("message.html.j2", portal.lang, status, title=text("not_found", portal.lang), body="")

    async def server_error(request: Request, exc: Exception) -> Response:
        # the trace goes to the server's log, never to the browser
        return portal.page(
            "message.html.j2", portal.lang, 500, title=text("app", portal.lang), body=text("server_error", portal.lang)
        )

    routes = [
        Route("/", landing),
        Route("/invite/{token}", invite),
        Route("/owner", owner_home),
        Route("/owner/section/{number:int}", owner_section),
        Route("/owner/answer", owner_answer, methods=["POST"]),
        Route("/owner/submit", owner_submit, methods=["POST"]),
        Route("/evidence/{file}", download),
        Route("/signin", sign_in_page),
        Route("/signin", sign_in, methods=["POST"]),
        Route("/signout", sign_out, methods=["POST"]),
        Route("/officer", officer_home),
        Route("/officer/service/{service}", officer_service),
        Route("/officer/service/{service}/review", officer_review, methods=["POST"]),
        Route("/officer/service/{service}/return", officer_return, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        HTTPException: not_found,
        Exception: server_error,
    }
    app = Starlette(routes=routes, exception_handlers=handlers)
    # outermost, around Starlette's own error handling, so even a 500 page carries the headers
    return Protect(app, https=portal.https)


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def _section_page(
    portal: Portal, questionnaire: OwnerQuestionnaire, sign_in: SignIn, number: object, problems: dict[str, list[str]]
) -> Response:
    sections = await portal.call(questionnaire.sections)
    chosen = next((s for s in sections if str(s.number) == str(number)), None)
    if chosen is None:
        raise HTTPException(404)
    return portal.page(
        "section.html.j2",
        questionnaire.lang,
        422 if problems else 200,
        q=questionnaire,
        section=chosen,
        sections=sections,
        problems=problems,
        today=questionnaire.today,
        csrf=sign_in.csrf,
    )


async def _service_page(portal: Portal, service: Any, sign_in: SignIn, problems: dict[str, str]) -> Response:
    lang = portal.lang
    answers = await portal.call(answering.answers_on_record, portal.session, service.id, lang)
    controls = await portal.call(answering.service_results, portal.session, service.id, lang)
    return portal.page(
        "answers.html.j2",
        lang,
        422 if problems else 200,
        service=service,
        name=service.name.get(lang),
        answers=answers,
        controls=controls,
        results=[(s.value, name_of(STATUS_TEXT, s.value, lang)) for s in REVIEW_RESULTS],
        problems=problems,
        who=sign_in,
        csrf=sign_in.csrf,
    )
