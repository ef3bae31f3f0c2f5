"""The composition root: builds the FastAPI application with every module's routes."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from fractions import Fraction
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import croupier
from croupier.app.heap import freeze_long_lived
from croupier.backoffice.gamecontrol.routes import router as game_control_router
from croupier.backoffice.jurisdictions.routes import router as jurisdictions_router
from croupier.backoffice.operators import authenticate_operator
from croupier.backoffice.operators.routes import router as operators_router
from croupier.backoffice.payments.routes import router as backoffice_payments_router
from croupier.backoffice.players.routes import router as backoffice_players_router
from croupier.backoffice.rng.routes import router as rng_router
from croupier.backoffice.sportsbook.routes import router as trading_router
from croupier.core.players.routes import router as players_router
from croupier.core.wallet import share_platform_accounts
from croupier.core.wallet.routes import router as ledger_router
from croupier.kernel.clock import Clock, clock_for
from croupier.kernel.config import Environment, Settings, get_settings
from croupier.kernel.credentials import password_hasher
from croupier.kernel.crypto import Keyring
from croupier.kernel.db import Database
from croupier.kernel.errors import (
    PROBLEM_CONTENT_TYPE,
    DomainError,
    InvalidRequest,
    ServiceUnavailable,
)
from croupier.kernel.events import OutboxDispatcher
from croupier.kernel.ratelimit import RateLimited, rate_limiter_for
from croupier.kernel.rng import default_rng
from croupier.kernel.web import install_problem_schema, problem_responses
from croupier.policy.compliance.cache import POLICY_CACHE, PolicyCache
from croupier.policy.compliance.geo import Geolocation
from croupier.policy.compliance.kyc import KycVendor, subscribe_reverification
from croupier.policy.compliance.markers import subscribe_markers
from croupier.policy.compliance.registers import (
    login_admission,
    registers_for,
    registration_admission,
)
from croupier.policy.compliance.routes import player_router as kyc_router
from croupier.policy.compliance.routes import router as cases_router
from croupier.policy.compliance.routes import webhook_router
from croupier.policy.compliance.sanctions import subscribe_screening
from croupier.policy.rg.routes import router as rg_router
from croupier.policy.risk import RiskEngine
from croupier.products.aggregation.jobs import game_control_loop
from croupier.products.aggregation.routes import router as catalogue_router
from croupier.products.aggregation.wallet_routes import router as provider_wallet_router
from croupier.products.aggregation.wallet_routes import wallet_batcher
from croupier.products.payments.config import load_payments_config
from croupier.products.payments.orchestration import (
    PaymentsRuntime,
    janitor_loop,
    reconcile_loop,
)
from croupier.products.payments.routes import router as payments_router
from croupier.products.payments.routes import webhook_router as psp_webhook_router
from croupier.products.rgs.crash.routes import router as crash_router
from croupier.products.rgs.games.catalogue import warm_par_sheets
from croupier.products.rgs.jobs import interrupted_rounds_loop
from croupier.products.rgs.player_routes import router as games_router
from croupier.products.rgs.routes import router as fair_router
from croupier.products.sportsbook.betting import accept_loop
from croupier.products.sportsbook.cashout import auto_cash_out_loop
from croupier.products.sportsbook.feed import HttpFeedClient
from croupier.products.sportsbook.feed_consumer import FeedConsumer
from croupier.products.sportsbook.live_routes import router as live_odds_router
from croupier.products.sportsbook.live_routes import start_live_odds, stop_live_odds
from croupier.products.sportsbook.routes import TokenPlayers, bet_batcher
from croupier.products.sportsbook.routes import router as sportsbook_router

log = structlog.get_logger("croupier.http")

HTTP_REQUESTS = Counter(
    "croupier_http_requests_total", "HTTP requests served", ["method", "route", "status"]
)
HTTP_SECONDS = Histogram(
    "croupier_http_request_seconds", "HTTP request duration", ["method", "route"]
)

REQUEST_ID_HEADER = "X-Request-ID"


def _problem(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=PROBLEM_CONTENT_TYPE)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        response = _problem(exc.status, exc.to_problem(instance=request.url.path))
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after_s)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        err = InvalidRequest("The request does not match the API's schema.", errors=problems)
        return _problem(err.status, err.to_problem(instance=request.url.path))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _problem(
            exc.status_code,
            {
                "type": f"urn:croupier:problem:{code}",
                "title": str(exc.detail),
                "status": exc.status_code,
                "detail": str(exc.detail),
                "code": code,
                "instance": request.url.path,
            },
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:  # noqa: ARG001
        # Reached only by an error raised outside request_context (which handles the rest).
        return _internal_error(request)


def _internal_error(request: Request) -> JSONResponse:
    # A bug: logged with its trace; the caller gets a problem document and a request id.
    log.exception("http.unhandled_error", path=request.url.path)
    return _problem(
        500,
        {
            "type": "urn:croupier:problem:internal_error",
            "title": "Internal error",
            "status": 500,
            "code": "internal_error",
            "detail": "The request failed; quote the request id to the operator.",
            "request_id": structlog.contextvars.get_contextvars().get("request_id"),
            "instance": request.url.path,
        },
    )


class RequestTooLarge(DomainError):
    code = "request.too_large"
    status = 413
    title = "The request body is too large"


class RequestContext:
    """Every request gets a request id (the caller's ``X-Request-ID`` if it is sane), bound to
    its log lines and sent back; it is counted and timed by route, and logged once.

    A plain ASGI middleware, not ``BaseHTTPMiddleware``: that one runs each request in a task
    group with a stream in between, which costs more than many endpoints do.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = (
            incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        )
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        sent = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                sent = True
                status = message["status"]
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                headers[REQUEST_ID_HEADER] = request_id
                message = {**message, "headers": headers.raw}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if sent:
                raise
            # Rendered here, not by the app-level handler (which Starlette runs outside every
            # middleware), so that a 500 too carries its request id and is counted and logged.
            await _internal_error(Request(scope))(scope, receive, send_with_id)
        elapsed = time.perf_counter() - started
        route = getattr(scope.get("route"), "path", "unmatched")
        method = scope["method"]
        HTTP_REQUESTS.labels(method, route, str(status)).inc()
        HTTP_SECONDS.labels(method, route).observe(elapsed)
        log.info(
            "http.request", method=method, path=scope["path"], status=status,
            ms=round(elapsed * 1000, 2),
        )  # fmt: skip


class BodySizeLimit:
    """Refuse a request body above ``max_bytes`` before anything parses it: at once when the
    Content-Length says so; a body without one (chunked) is read up to the limit first."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        err = RequestTooLarge(f"Request bodies are limited to {self.max_bytes} bytes.")
        response = _problem(err.status, err.to_problem(instance=scope.get("path")))
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b""):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def _warm_par_sheets() -> None:
    warm_par_sheets()
    freeze_long_lived("par sheets")


def create_app(
    settings: Settings | None = None, database: Database | None = None, clock: Clock | None = None
) -> FastAPI:
    """Build the application. Tests pass their own settings, database and clock."""
    settings = settings or get_settings()
    owns_database = database is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = database or Database(settings.database_url, pool_size=settings.database_pool_size)
        app_clock = clock or clock_for(settings, db)
        dispatcher = OutboxDispatcher(db, app_clock)
        subscribe_screening(dispatcher, app_clock)
        subscribe_reverification(dispatcher, app_clock)
        subscribe_markers(dispatcher, app_clock)
        app.state.kyc_vendor = KycVendor.of(settings)
        policy_cache = (
            PolicyCache(db, max_players=settings.policy_cache_players).attach()
            if settings.policy_cache_players and POLICY_CACHE not in db.session_info
            else None
        )
        dispatcher.install()
        share_platform_accounts(db)  # the house accounts' ids, read once per process
        app.state.settings = settings
        app.state.database = db
        app.state.clock = app_clock
        app.state.dispatcher = dispatcher
        app.state.password_hasher = password_hasher(
            time_cost=settings.password_hash_time_cost,
            memory_kib=settings.password_hash_memory_kib,
        )
        app.state.rate_limiter = rate_limiter_for(settings.redis_url)
        app.state.operator_authenticator = authenticate_operator
        app.state.rng = default_rng()  # one per process: a health failure stops all its play
        app.state.keyring = Keyring.of(settings)  # production: no keys, no start
        # Game providers' wallet calls share transactions (group commit), decided set-wise.
        app.state.provider_wallet_batcher = wallet_batcher(db, app_clock)
        app.state.sportsbook_token_players = TokenPlayers()
        stop_jobs = threading.Event()
        feed_clients: list[HttpFeedClient] = []
        if settings.env is not Environment.TEST:
            threading.Thread(target=_warm_par_sheets, name="par-sheets", daemon=True).start()
            if settings.rgs_interrupted_check_seconds:
                threading.Thread(
                    target=interrupted_rounds_loop,
                    args=(db, app_clock, app.state.keyring),
                    kwargs={
                        "idle_for": timedelta(seconds=settings.rgs_interrupted_after_seconds),
                        "every_seconds": settings.rgs_interrupted_check_seconds,
                        "stop": stop_jobs,
                    },
                    name="rgs-interrupted-rounds",
                    daemon=True,
                ).start()
            if settings.game_control_check_seconds:
                threading.Thread(
                    target=game_control_loop,
                    args=(db, app_clock),
                    kwargs={
                        "max_age": timedelta(hours=settings.provider_round_max_age_hours),
                        "every_seconds": settings.game_control_check_seconds,
                        "stop": stop_jobs,
                    },
                    name="game-control",
                    daemon=True,
                ).start()
        registers = registers_for(settings)
        app.state.registers = registers
        geolocation = Geolocation(
            data_file=settings.geoip_data_file, allow_private=settings.clock_is_adjustable
        )
        app.state.geolocation = geolocation
        # Sportsbook bets likewise, each batch placed set-wise (one statement per table for
        # all its bets, one ledger batch for their stakes).
        app.state.sportsbook_batcher = bet_batcher(
            db,
            app_clock,
            registers=registers,
            geolocation=geolocation,
            token_players=app.state.sportsbook_token_players,
        )
        app.state.registration_admission = registration_admission(registers, geolocation)
        app.state.login_admission = login_admission(registers, geolocation)
        app.state.risk_engine = RiskEngine.load(settings)
        payments = PaymentsRuntime.build(
            load_payments_config(settings.payments_config),
            registers=registers,
            geolocation=geolocation,
            risk_engine=app.state.risk_engine,
        )
        app.state.payments = payments
        # Live odds over /ws: started before anything that changes prices (the feed).
        live_odds = await start_live_odds(app, settings, db)
        if settings.env is not Environment.TEST:
            # In-play sportsbook bets are accepted or refused once their delay is over.
            threading.Thread(
                target=accept_loop,
                args=(db, app_clock),
                kwargs={"every_seconds": 1.0, "stop": stop_jobs},
                name="sportsbook-accept",
                daemon=True,
            ).start()
            if settings.sportsbook_auto_cash_out_seconds:
                # Players' automatic cash-out rules, checked as prices move.
                threading.Thread(
                    target=auto_cash_out_loop,
                    args=(db, app_clock),
                    kwargs={
                        "every_seconds": settings.sportsbook_auto_cash_out_seconds,
                        "stop": stop_jobs,
                        "margin": Fraction(settings.sportsbook_cash_out_margin),
                    },
                    name="sportsbook-auto-cash-out",
                    daemon=True,
                ).start()
            if settings.sportsbook_feed_url:
                feed_client = HttpFeedClient(settings.sportsbook_feed_url)
                feed_client.start(FeedConsumer(db, app_clock).handle)
                feed_clients.append(feed_client)
            for target, every, name in (
                (janitor_loop, payments.config.janitor.every_seconds, "payments-janitor"),
                (reconcile_loop, payments.config.reconcile_every_seconds, "payments-reconcile"),
            ):
                if every:
                    threading.Thread(
                        target=target,
                        args=(db, app_clock, payments),
                        kwargs={"every_seconds": every, "stop": stop_jobs},
                        name=name,
                        daemon=True,
                    ).start()
        if settings.env is not Environment.TEST:
            freeze_long_lived("start-up")  # full GC passes skip what lives as long as we do
        log.info(
            "app.started", env=settings.env.value, database=db.dialect, version=croupier.__version__
        )
        try:
            yield
        finally:
            stop_jobs.set()
            for feed_client in feed_clients:
                feed_client.stop()
            await stop_live_odds(live_odds, db)
            app.state.provider_wallet_batcher.close()
            app.state.sportsbook_batcher.close()
            payments.close()
            if policy_cache is not None:
                policy_cache.close()
            if owns_database:
                db.dispose()

    app = FastAPI(
        title="croupier",
        version=croupier.__version__,
        summary="Real-money gaming platform: wallet ledger, players, games, payments.",
        description=(
            "Errors are RFC 9457 problem documents (`application/problem+json`) with a "
            "stable `code`. Amounts are integers of ledger units: fiat currencies keep 6 "
            "decimals (3.56 EUR = 3560000)."
        ),
        lifespan=lifespan,
        # FastAPI's native telemetry asks on every request whether OpenTelemetry providers
        # are configured (~7 % of a bet's request): only when the operator turns it on.
        telemetry=None if settings.opentelemetry else _NO_TELEMETRY,
    )
    _install_error_handlers(app)
    # Added before RequestContext, so it runs inside it: a 413 too gets a request id and is
    # logged and counted.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)

    app.add_middleware(RequestContext)

    @app.get(
        "/healthz",
        tags=["operations"],
        responses=problem_responses(ServiceUnavailable, validated=False),
    )
    def healthz(request: Request) -> JSONResponse:
        """200 when this process can serve: it reaches its database."""
        db: Database = request.app.state.database
        try:
            with db.read_only() as session:
                session.execute(text("SELECT 1"))
        except Exception:
            log.exception("healthz.database_unreachable")
            err = ServiceUnavailable("The database is unreachable.")
            return _problem(err.status, err.to_problem(instance=request.url.path))
        return JSONResponse({"status": "ok", "version": croupier.__version__})

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
    def metrics() -> Response:
        """Prometheus metrics in the text exposition format."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    # The routers of the busiest calls first: a request is matched against the routes in
    # order, one by one, and each route tried costs a few microseconds (before this order, a
    # bet tried some 130 routes first, a third of its time in the event loop).
    app.include_router(provider_wallet_router)
    app.include_router(sportsbook_router)
    app.include_router(games_router)
    app.include_router(crash_router)
    app.include_router(players_router)
    app.include_router(rg_router)
    app.include_router(operators_router)
    app.include_router(backoffice_players_router)
    app.include_router(jurisdictions_router)
    app.include_router(rng_router)
    app.include_router(game_control_router)
    app.include_router(fair_router)
    app.include_router(catalogue_router)
    app.include_router(cases_router)
    app.include_router(kyc_router)
    app.include_router(webhook_router)
    app.include_router(ledger_router)
    app.include_router(payments_router)
    app.include_router(psp_webhook_router)
    app.include_router(backoffice_payments_router)
    app.include_router(trading_router)
    app.include_router(live_odds_router)
    install_problem_schema(app)
    return app
