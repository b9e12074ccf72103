"""The CDS Hooks 2.0 service (FastAPI): discovery, the imatinib-toxicity hook, feedback, reports.

Stateless: every request carries (or fetches) the patient's data, and each process evaluates one
patient at a time (the engine's lock: one durable-rules session per process), so it scales by
adding workers and replicas behind any load balancer. Configuration is read from the
environment when the app is created (see docs/cds-hooks.md).
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import DISCLAIMER, __version__
from ..errors import AdvisorError, InputError
from .auth import AuthError, JwtCheck
from .context import PREFETCH, ContextError, gather

SERVICE = "imatinib-toxicity"
SERVICES = {SERVICE: "patient-view", f"{SERVICE}-order-sign": "order-sign"}
HOOKS = ("patient-view", "order-sign")
log = logging.getLogger("advisor.cds")
feedback_log = logging.getLogger("advisor.cds.feedback")


# --------------------------------------------------------------------------- wire models
class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class FhirAuthorization(_Open):
    access_token: str = Field(min_length=1)
    token_type: str = "Bearer"
    expires_in: int | None = None
    scope: str | None = None
    subject: str | None = None


class HookContext(_Open):
    userId: str | None = None
    patientId: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9\-.]{1,64}$")
    encounterId: str | None = None
    draftOrders: dict[str, Any] | None = None


class HookRequest(_Open):
    hook: Literal[HOOKS]  # type: ignore[valid-type]
    hookInstance: str = Field(min_length=1, max_length=200)
    fhirServer: str | None = Field(None, pattern=r"^https?://")
    fhirAuthorization: FhirAuthorization | None = None
    context: HookContext
    prefetch: dict[str, dict[str, Any] | None] | None = None


class Source(BaseModel):
    label: str
    url: str | None = None


class Action(BaseModel):
    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any] | None = None


class Suggestion(BaseModel):
    label: str
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] = []


class Link(BaseModel):
    label: str
    url: str
    type: Literal["absolute", "smart"]


class Card(BaseModel):
    uuid: str | None = None
    summary: str = Field(max_length=140)
    indicator: Literal["info", "warning", "critical"]
    detail: str | None = None
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    links: list[Link] | None = None


class CardsResponse(BaseModel):
    cards: list[Card]


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[str] = []


class ErrorResponse(BaseModel):
    """CDS-Hooks-shaped: an empty card list (what an EHR reads) and why (for its developers)."""

    cards: list[Card] = []
    error: ErrorBody


class ServiceDef(BaseModel):
    hook: str
    id: str
    title: str
    description: str
    prefetch: dict[str, str]
    usageRequirements: str | None = None


class Discovery(BaseModel):
    services: list[ServiceDef]


class Overridereason(_Open):
    reason: dict[str, Any] | None = None
    userComment: str | None = None


class FeedbackItem(_Open):
    card: str = Field(min_length=1, max_length=200)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[dict[str, Any]] | None = None
    overrideReason: Overridereason | None = None
    outcomeTimestamp: str = Field(min_length=1, max_length=64)


class Feedback(BaseModel):
    feedback: list[FeedbackItem] = Field(min_length=1, max_length=100)


# --------------------------------------------------------------------------- settings
def _env_list(name: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in os.environ.get(name, "").split(",") if x.strip())


@dataclass
class Settings:
    jwt: JwtCheck = field(default_factory=JwtCheck)
    report_key: str | None = None
    fhir_servers: tuple[str, ...] = ()
    public_url: str | None = None
    fetch_timeout: float = 10.0
    rulebook: str | None = None

    @classmethod
    def from_env(cls) -> "Settings":
        from .reports import new_key

        return cls(
            JwtCheck(os.environ.get("ADVISOR_CDS_JWT_SECRET") or None, os.environ.get("ADVISOR_CDS_JWKS") or None,
                     os.environ.get("ADVISOR_CDS_JWT_AUDIENCE") or None, _env_list("ADVISOR_CDS_JWT_ISSUERS")),
            os.environ.get("ADVISOR_CDS_REPORT_KEY") or new_key(),
            _env_list("ADVISOR_CDS_FHIR_SERVERS"),
            os.environ.get("ADVISOR_CDS_PUBLIC_URL") or None,
            float(os.environ.get("ADVISOR_CDS_FETCH_TIMEOUT", "10")),
            os.environ.get("ADVISOR_RULEBOOK") or None,
        )


def _error(status: int, code: str, message: str, details: list[str] | None = None) -> JSONResponse:
    return JSONResponse({"cards": [], "error": {"code": code, "message": message, "details": details or []}}, status_code=status)


_ERRORS = {400: {"model": ErrorResponse, "description": "Bad request"},
           401: {"model": ErrorResponse, "description": "Missing or invalid bearer token (when configured)"}}


# --------------------------------------------------------------------------- the app
def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app (uvicorn's factory: `uvicorn advisor.cds.app:create_app --factory`)."""
    import httpx

    from ..evaluate import evaluate, get_rulebook
    from ..fhir import NotOnImatinib
    from ..readers import reading_from_bundle, with_reading
    from . import cards as cardlib
    from .reports import BadToken, seal, unseal

    cfg = settings or Settings.from_env()
    if not log.handlers:  # uvicorn configures only its own loggers; feedback and errors need one too
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    rulebook = get_rulebook(cfg.rulebook)  # a broken rulebook stops the start, not a request
    jwks = cfg.jwt.keys() if cfg.jwt.jwks_path else None
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI):
        async with httpx.AsyncClient(timeout=cfg.fetch_timeout) as client:
            state["client"] = client
            yield

    app = FastAPI(title="imatinib-advisor CDS Hooks service", version=__version__, lifespan=lifespan,
                  description=f"CDS Hooks 2.0 decision support for imatinib toxicity in GIST. {DISCLAIMER}")

    app.add_middleware(_BodyLimit)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()[:20]]
        return _error(400, "bad_request", "the request is not a valid CDS Hooks call", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s", request.url.path)  # the traceback goes to the log, never to the caller
        return _error(500, "internal_error", "internal error in the advisor (logged); no advice was given")

    def authorized(request: Request) -> None:
        if not cfg.jwt.enabled:
            return
        try:
            cfg.jwt.verify(request.headers.get("authorization"), jwks)
        except AuthError as exc:
            raise _Unauthorized(str(exc)) from None

    @app.exception_handler(_Unauthorized)
    async def _unauth(request: Request, exc: _Unauthorized) -> JSONResponse:
        resp = _error(401, "unauthorized", str(exc))
        resp.headers["WWW-Authenticate"] = "Bearer"
        return resp

    @app.get("/cds-services", response_model=Discovery, tags=["CDS Hooks"])
    async def discovery() -> dict[str, Any]:
        """The services this CDS service offers, with their prefetch templates."""
        desc = ("Checks the patient's imatinib dose against CTCAE v5 grades derived from recent labs, graded "
                "adverse events and co-medications, and recommends the dosing decision with its evidence.")
        return {"services": [
            {"hook": hook, "id": sid, "title": "Imatinib toxicity advisor (GIST)", "description": desc, "prefetch": PREFETCH,
             "usageRequirements": "Decision support for a clinician, not an order."}
            for sid, hook in SERVICES.items()]}

    @app.post("/cds-services/{service_id}", response_model=CardsResponse, tags=["CDS Hooks"],
              responses={**_ERRORS, 404: {"model": ErrorResponse, "description": "Unknown service"},
                         412: {"model": ErrorResponse, "description": "No prefetch and no fhirServer to fetch from"},
                         502: {"model": ErrorResponse, "description": "The FHIR server failed"}},
              response_model_exclude_none=True)
    async def hook(service_id: str, call: HookRequest, request: Request, _: None = Depends(authorized)) -> Any:
        """Cards for one hook call (patient-view or order-sign); no card for a patient not on imatinib."""
        if service_id not in SERVICES:
            return _error(404, "not_found", f"no service {service_id!r}; see GET /cds-services")
        token = call.fhirAuthorization.access_token if call.fhirAuthorization else None
        try:
            bundle = await gather(call.prefetch, call.context.model_dump(), call.fhirServer, token, state["client"], cfg.fhir_servers)
        except ContextError as exc:
            code = {400: "bad_request", 412: "prefetch_missing", 502: "fhir_server_error"}[exc.status]
            return _error(exc.status, code, exc.message)
        drafts = _draft_orders(call)
        try:
            reading = reading_from_bundle(bundle, f"hook {call.hook}", drafts)
        except NotOnImatinib:
            return {"cards": []}
        except InputError as exc:
            return {"cards": [cardlib.unreadable_card(exc.message + "".join(f"; {p}" for p in exc.problems), call.hookInstance)]}
        try:
            advice = with_reading(evaluate(reading.state, rulebook), reading)
        except AdvisorError as exc:
            return {"cards": [cardlib.unreadable_card(exc.message, call.hookInstance)]}
        base = (cfg.public_url or str(request.base_url)).rstrip("/")
        link = f"{base}/reports/{seal(_report_input(reading), cfg.report_key)}" if cfg.report_key else None
        return {"cards": cardlib.cards(advice, reading, evidence=rulebook.evidence, hook_instance=call.hookInstance,
                                       order=_imatinib_order(bundle, reading), report_url=link)}

    @app.post("/cds-services/{service_id}/feedback", tags=["CDS Hooks"], responses={**_ERRORS, 404: {"model": ErrorResponse}})
    async def feedback(service_id: str, body: Feedback, _: None = Depends(authorized)) -> dict[str, Any]:
        """Card outcomes from the EHR; logged without patient data (card id, outcome, reason code)."""
        if service_id not in SERVICES:
            return _error(404, "not_found", f"no service {service_id!r}")
        for item in body.feedback:
            reason = (item.overrideReason.reason or {}).get("code") if item.overrideReason else None
            accepted = [s.get("id") for s in item.acceptedSuggestions or () if isinstance(s, dict)]
            feedback_log.info("feedback service=%s card=%s outcome=%s accepted=%s override_reason=%s",
                              service_id, item.card, item.outcome, accepted, reason)
        return {}

    @app.get("/reports/{token}", response_class=HTMLResponse, tags=["reports"],
             responses={404: {"description": "Invalid or expired link (an HTML page saying so)"}})
    async def report(token: str) -> Any:
        """The full report behind a card's link (the link carries its input, encrypted; it expires)."""
        try:
            data = unseal(token, cfg.report_key or "")
        except BadToken as exc:  # opened in a browser: a page, not JSON
            return HTMLResponse(f"<!DOCTYPE html><title>Report link</title><p>{exc}. Open the card again for a fresh link.</p>",
                                status_code=404)
        reading = _reading_from_report_input(data)
        advice = with_reading(evaluate(reading.state, rulebook), reading)
        return HTMLResponse(_render_html(advice, data))

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "rulebook": f"{rulebook.id} {rulebook.version}"}

    return app


class _Unauthorized(Exception):
    pass


MAX_BODY = 10 * 1024 * 1024  # a prefetch of a few hundred resources is well under 1 MB


class _BodyLimit:
    """Refuse a declared body over MAX_BODY before reading it (ASGI: no per-request overhead)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            length = dict(scope.get("headers") or ()).get(b"content-length", b"0")
            if length.isdigit() and int(length) > MAX_BODY:
                await _error(413, "too_large", f"the request body is over {MAX_BODY // (1024 * 1024)} MB")(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _draft_orders(call: HookRequest) -> list[dict]:
    drafts = call.context.draftOrders
    if call.hook != "order-sign" or not isinstance(drafts, dict):
        return []
    return [e["resource"] for e in drafts.get("entry") or () if isinstance(e, dict) and isinstance(e.get("resource"), dict)]


def _imatinib_order(bundle: dict, reading) -> dict | None:
    """The active imatinib MedicationRequest the advice would update (by its provenance)."""
    ref = (reading.provenance.get("imatinib.status") or "").split(" ")[0]
    if not ref.startswith("MedicationRequest/"):
        return None
    rid = ref.split("/", 1)[1]
    return next((e["resource"] for e in bundle["entry"]
                 if e["resource"].get("resourceType") == "MedicationRequest" and e["resource"].get("id") == rid), None)


def _report_input(reading) -> dict[str, Any]:
    from ..state import state_to_data

    return {"state": state_to_data(reading.state), "provenance": dict(reading.provenance), "warnings": list(reading.warnings),
            "notes": list(reading.notes), "patient": reading.patient_id}


def _reading_from_report_input(data: dict[str, Any]):
    from ..readers import Reading
    from ..state import state_from_data
    from ..yamlio import Document

    state = state_from_data(data["state"], Document(data["state"], "report link"))
    return Reading(state, "FHIR (CDS Hooks call)", "fhir-bundle", data.get("provenance") or {}, tuple(data.get("warnings") or ()),
                   tuple(data.get("notes") or ()), data.get("patient"))


def _render_html(advice, data: dict[str, Any]) -> str:
    import dataclasses

    import yaml

    from ..render.report import gather as gather_report, render_html

    d = gather_report(advice)
    return render_html(dataclasses.replace(d, state_name="as mapped from FHIR",
                                           state_text=yaml.safe_dump(data["state"], sort_keys=False)))
