"""What a refused request shows: a page in the reader's language, or JSON for the API.
Every refusal text is here, once."""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException

from orchestration.intake.messages import Msg
from orchestration.portal.uploads import MAX_UPLOAD_BYTES

REFUSALS = {
    401: Msg("ログインが必要です。", "You need to log in."),
    403: Msg("この操作・ページを利用する権限がありません。", "You are not allowed to do or see this."),
    "csrf": Msg("フォームの有効期限が切れたか、別のサイトから送信されました。ページを開き直して"
                "もう一度送信してください。",
                "The form expired or was sent from another site; reload the page and send it again."),
    404: Msg("ページが見つかりません。", "Page not found."),
    413: Msg(f"ファイルが大きすぎます（上限 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB）。"
             "データのシートだけを保存したファイルを送ってください。",
             f"The file is too large (limit {MAX_UPLOAD_BYTES // (1024 * 1024)} MB); send a file "
             "with the data sheet only."),
    400: Msg("リクエストの内容が正しくありません。", "The request is not valid."),
    405: Msg("この操作はこのページではできません。", "This method is not allowed here."),
    422: Msg("入力内容が正しくありません。", "The input is not valid."),
}


def wants_json(path: str) -> bool:
    return path.startswith("/api/")


def refusal(status: int, detail: object = None) -> Msg:
    if isinstance(detail, Msg):
        return detail
    return REFUSALS.get(detail) or REFUSALS.get(status) or REFUSALS[400]


def too_large_body(scope) -> tuple[bytes, bytes]:
    """The 413 answer sent before the body is read (see security.BodyLimit)."""
    msg = REFUSALS[413]
    if wants_json(scope["path"]):
        return (json.dumps({"error": "too_large", "message": msg.ja, "message_en": msg.en},
                           ensure_ascii=False).encode(), b"application/json")
    from orchestration.portal.app import render_page

    page = render_page(scope["app"].state.home, "error.html", "ja", scope["path"], who=None,
                       status=413, message=msg)
    return page.encode(), b"text/html; charset=utf-8"


async def http_error(request: Request, exc: HTTPException):
    status = exc.status_code
    msg = refusal(status, exc.detail)
    if wants_json(request.url.path):
        # A bare HTTPException(401) carries Starlette's phrase ("Unauthorized") as detail:
        # only our own refusal keys name the error, the status names the rest.
        code = exc.detail if isinstance(exc.detail, str) and exc.detail in REFUSALS else {
            401: "unauthorized", 403: "forbidden", 404: "not_found", 413: "too_large"}.get(
            status, "bad_request")
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse({"error": code, "message": msg.ja, "message_en": msg.en},
                            status_code=status, headers=headers)
    if status == 401:
        # Quoted: a path holding "&error=locked" must not add its own text to the login page.
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    from orchestration.portal.app import render

    return render(request, "error.html", {"status": status, "message": msg}, status=status)


async def validation_error(request: Request, exc):
    return await http_error(request, HTTPException(422 if wants_json(request.url.path) else 400))
