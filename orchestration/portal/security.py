"""Who is asking, and what a request may carry.

Browser pages: a signed, HttpOnly, SameSite=Lax session cookie holding a random id (the
store keeps only its hash, so logging out or disabling an account ends it at once) and a
CSRF token checked on every POST. The API: ``Authorization: Bearer <token>``, or the
session cookie plus the CSRF token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from orchestration.home import Home
from orchestration.portal import accounts, audit
from orchestration.portal.accounts import User

SESSION_COOKIE = "kh_session"
LOGIN_CSRF_COOKIE = "kh_login_csrf"
LANG_COOKIE = "kh_lang"
# Multipart framing around a file of the intake's size limit; any other POST is a small form.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
FORM_MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class Principal:
    user: User
    csrf_token: str | None  # None for an API token (no cookie, nothing to forge)
    session_id: str | None = None
    via_token: bool = False


class Signer:
    def __init__(self, key: bytes):
        self._serializer = URLSafeTimedSerializer(key, salt="kurume-hub-portal")

    def dumps(self, value: str) -> str:
        return self._serializer.dumps(value)

    def loads(self, signed: str | None, max_age: int) -> str | None:
        if not signed:
            return None
        try:
            return self._serializer.loads(signed, max_age=max_age)
        except BadSignature:
            return None


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def principal(request: Request) -> Principal | None:
    """The account behind a request, or None. A bearer token wins over a cookie."""
    home: Home = request.app.state.home
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = accounts.user_for_token(home, header[7:].strip())
        if user is None:
            return None
        audit.record(home, "token_use", actor=user.email, role=user.role,
                     municipality=user.municipality, target=request.url.path,
                     ip=client_ip(request))
        return Principal(user, None, via_token=True)
    session_id = request.app.state.signer.loads(
        request.cookies.get(SESSION_COOKIE), max_age=accounts.SESSION_HOURS * 3600)
    if session_id is None:
        return None
    session = accounts.session_for(home, session_id)
    return Principal(session.user, session.csrf_token, session_id) if session else None


def check_csrf(who: Principal, submitted: str | None) -> None:
    """Every state-changing request from a browser carries the session's CSRF token."""
    if who.via_token:
        return
    if not submitted or not hmac.compare_digest(submitted, who.csrf_token or ""):
        raise HTTPException(403, detail="csrf")


def set_session_cookie(response, request: Request, session_id: str) -> None:
    response.set_cookie(SESSION_COOKIE, request.app.state.signer.dumps(session_id),
                        max_age=accounts.SESSION_HOURS * 3600, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def login_csrf(request: Request) -> tuple[str, str]:
    """Before login there is no session: the form token is also set as a signed cookie
    (double submit), so a page on another site cannot log a member into its account."""
    token = secrets.token_urlsafe(24)
    return token, request.app.state.signer.dumps(token)


def check_login_csrf(request: Request, submitted: str | None) -> bool:
    expected = request.app.state.signer.loads(request.cookies.get(LOGIN_CSRF_COOKIE),
                                              max_age=3600)
    return bool(submitted and expected and hmac.compare_digest(submitted, expected))


# ------------------------------------------------------------ ASGI guards


class BodyLimit:
    """Refuse a request body over its limit before it is read: by Content-Length at once
    (a 200 MB upload costs nothing), and by counting for a body sent without one."""

    def __init__(self, app, upload_max_bytes: int):
        self.app = app
        self.upload_limit = upload_max_bytes + MULTIPART_OVERHEAD_BYTES

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        limit = self.upload_limit if _is_upload(scope["path"]) else FORM_MAX_BYTES
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await _too_large(scope, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413, detail="too_large")
            return message

        return await self.app(scope, limited_receive, send)


def _is_upload(path: str) -> bool:
    return path.endswith("/upload") or path in ("/api/v1/validate", "/api/v1/submissions")


async def _too_large(scope, send) -> None:
    from orchestration.portal.errors import too_large_body

    body, content_type = too_large_body(scope)
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", content_type), (b"connection", b"close"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


SECURITY_HEADERS = [
    # No inline script or style, nothing from another origin: an uploaded cell that held
    # HTML is escaped by the templates, and would not run even if it were not.
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self'; "
                                 b"img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                                 b"frame-ancestors 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    h for h in SECURITY_HEADERS if h[0] not in names
                    and not (h[0] == b"cache-control" and scope["path"].startswith("/static/"))]
            await send(message)

        return await self.app(scope, receive, with_headers)
