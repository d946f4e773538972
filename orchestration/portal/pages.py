"""The portal's pages: server-rendered, usable without JavaScript.

Every route under ``/m/{code}`` goes through ``member_scope``: a member reaches its own
municipality only (anything else is a 403, recorded in the audit log); the secretariat
reaches every member.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from orchestration.area import area_for
from orchestration.home import Home
from orchestration.intake.contracts import load_contracts
from orchestration.intake.ledger import Ledger
from orchestration.intake.messages import Msg
from orchestration.portal import accounts, audit, uploads
from orchestration.portal.app import render
from orchestration.portal.security import (
    LANG_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Principal,
    check_csrf,
    check_login_csrf,
    client_ip,
    login_csrf,
    principal,
    set_session_cookie,
)

router = APIRouter()

LOGIN_REFUSALS = {
    "bad_credentials": Msg("メールアドレスまたはパスワードが違います。",
                           "Wrong e-mail address or password."),
    "locked": Msg(f"ログインに続けて失敗したため、このアカウントは {accounts.LOCK_MINUTES} 分間"
                  "ロックされています。時間をおいて試すか、事務局にパスワードの再発行を依頼して"
                  "ください。",
                  f"Too many failed logins: the account is locked for {accounts.LOCK_MINUTES} "
                  "minutes. Try later, or ask the secretariat to reset the password."),
    "ip_throttled": Msg("この接続元からのログイン失敗が多すぎます。しばらくしてから試してください。",
                        "Too many failed logins from this address; try again later."),
    "disabled": Msg("このアカウントは無効です。事務局に連絡してください。",
                    "This account is disabled; contact the secretariat."),
    "csrf": Msg("ログイン画面の有効期限が切れました。もう一度入力してください。",
                "The login form expired; please enter your details again."),
}


def home_of(request: Request) -> Home:
    return request.app.state.home


def signed_in(request: Request) -> Principal:
    who = principal(request)
    if who is None:
        raise HTTPException(401)
    return who


def member_scope(code: str, request: Request, who: Principal = Depends(signed_in)) -> str:
    """The one gate for a member's pages (also used by the API)."""
    if not who.user.may_act_for(code):
        audit.record(home_of(request), "denied", actor=who.user.email, role=who.user.role,
                     municipality=who.user.municipality, target=request.url.path,
                     ip=client_ip(request))
        raise HTTPException(403)
    if area_for(home_of(request)).member(code) is None:
        raise HTTPException(404)
    return code


def secretariat_only(request: Request, who: Principal = Depends(signed_in)) -> Principal:
    if not who.user.is_secretariat:
        audit.record(home_of(request), "denied", actor=who.user.email, role=who.user.role,
                     municipality=who.user.municipality, target=request.url.path,
                     ip=client_ip(request))
        raise HTTPException(403)
    return who


def _safe_next(target: str | None) -> str:
    """Only a path on this site: ``next=//evil.example`` or a full URL goes home instead."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


# ------------------------------------------------------------------ login


@router.get("/login")
def login_page(request: Request, next: str = "/", error: str | None = None):
    token, signed = login_csrf(request)
    response = render(request, "login.html", {
        "csrf": token, "next": _safe_next(next), "error": LOGIN_REFUSALS.get(error),
        "who": False})
    response.set_cookie(LOGIN_CSRF_COOKIE, signed, max_age=3600, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    return response


@router.post("/login")
def login(request: Request, email: str = Form(""), password: str = Form(""),
          csrf_token: str = Form(""), next: str = Form("/")):
    home = home_of(request)
    if not check_login_csrf(request, csrf_token):
        return RedirectResponse(f"/login?error=csrf&next={quote(_safe_next(next))}", 303)
    result = accounts.authenticate(home, email, password, client_ip(request))
    if not result.ok:
        audit.record(home, "login_failed", actor=email.strip().lower()[:254],
                     ip=client_ip(request), outcome=result.reason)
        return RedirectResponse(f"/login?error={result.reason}&next={quote(_safe_next(next))}",
                                303)
    user = result.user
    audit.record(home, "login", actor=user.email, role=user.role, municipality=user.municipality,
                 ip=client_ip(request))
    response = RedirectResponse(_safe_next(next) if next != "/" else _start_page(user), 303)
    set_session_cookie(response, request, accounts.open_session(home, user))
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form(""), who: Principal = Depends(signed_in)):
    check_csrf(who, csrf_token)
    accounts.close_session(home_of(request), who.session_id)
    audit.record(home_of(request), "logout", actor=who.user.email, role=who.user.role,
                 municipality=who.user.municipality, ip=client_ip(request))
    response = RedirectResponse("/login", 303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
def start(request: Request):
    who = principal(request)
    return RedirectResponse(_start_page(who.user) if who else "/login", 303)


def _start_page(user: accounts.User) -> str:
    return "/members" if user.is_secretariat else f"/m/{user.municipality}"


@router.get("/lang/{lang}")
def switch_language(lang: str, next: str = "/"):
    response = RedirectResponse(_safe_next(next), 303)
    response.set_cookie(LANG_COOKIE, "en" if lang == "en" else "ja", max_age=365 * 86400,
                        samesite="lax", httponly=True)
    return response


@router.get("/favicon.ico")
def favicon():
    """No icon: the portal's pages name none, but a browser still asks (the previewed site
    does): an empty answer rather than a 404 in its console."""
    return Response(status_code=204)


@router.get("/healthz")
def healthz():
    return {"ok": True}


# ---------------------------------------------------------------- account


@router.get("/account")
def account_page(request: Request, who: Principal = Depends(signed_in), done: int = 0,
                 error: str | None = None):
    return render(request, "account.html", {"who": who, "done": bool(done),
                                            "error": PASSWORD_ERRORS.get(error)})


PASSWORD_ERRORS = {
    "current": Msg("現在のパスワードが違います。", "The current password is wrong."),
    "mismatch": Msg("新しいパスワードが確認欄と一致しません。",
                    "The new password and its confirmation differ."),
    "short": Msg(f"新しいパスワードは {accounts.MIN_PASSWORD_LENGTH} 文字以上にしてください。",
                 f"The new password needs at least {accounts.MIN_PASSWORD_LENGTH} characters."),
}


@router.post("/account/password")
def change_password(request: Request, current: str = Form(""), new: str = Form(""),
                    confirm: str = Form(""), csrf_token: str = Form(""),
                    who: Principal = Depends(signed_in)):
    check_csrf(who, csrf_token)
    home = home_of(request)
    if not accounts.check_current_password(home, who.user.email, current):
        return RedirectResponse("/account?error=current", 303)
    if new != confirm:
        return RedirectResponse("/account?error=mismatch", 303)
    if len(new) < accounts.MIN_PASSWORD_LENGTH:
        return RedirectResponse("/account?error=short", 303)
    accounts.set_password(home, who.user.email, new)  # ends every session of the account
    audit.record(home, "password_changed", actor=who.user.email, role=who.user.role,
                 municipality=who.user.municipality, ip=client_ip(request))
    response = RedirectResponse("/account?done=1", 303)
    set_session_cookie(response, request, accounts.open_session(home, who.user))
    return response


# --------------------------------------------------------- member's pages


@router.get("/members")
def members_page(request: Request, who: Principal = Depends(secretariat_only)):
    from orchestration.portal.status import STATE_LABELS, area_status

    return render(request, "members.html", {
        "who": who, "status": area_status(home_of(request)), "labels": STATE_LABELS})


@router.get("/m/{code}")
def member_page(request: Request, code: str = Depends(member_scope),
                who: Principal = Depends(signed_in)):
    from orchestration.portal.status import STATE_LABELS, member_status

    return render(request, "member.html", {
        "who": who, "code": code, "member": area_for(home_of(request)).member(code),
        "datasets": member_status(home_of(request), code), "labels": STATE_LABELS,
        "contracts": load_contracts(), "max_mb": uploads.MAX_UPLOAD_BYTES // (1024 * 1024)})


@router.get("/m/{code}/template/{dataset}.xlsx")
def template_download(request: Request, dataset: str, code: str = Depends(member_scope)):
    from orchestration.intake.templates import write_template

    area = area_for(home_of(request))
    submitters = area.dataset_submitters(dataset) if dataset in area.datasets else ()
    if dataset not in load_contracts() or dataset not in area.datasets or (
            submitters and code not in submitters):  # not on the member's page: no template
        raise HTTPException(404)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_template(dataset, Path(tmp) / "template.xlsx", "xlsx", code)
        data = path.read_bytes()
    return _attachment(data, f"{dataset}_{code}.xlsx", XLSX)


@router.post("/m/{code}/upload")
def upload(request: Request, code: str = Depends(member_scope),
           who: Principal = Depends(signed_in), file: UploadFile = File(...),
           dataset: str = Form(""), csrf_token: str = Form("")):
    check_csrf(who, csrf_token)
    if dataset and dataset not in load_contracts():
        raise HTTPException(400)
    received = receive_and_check(request, who, code, file, dataset or None)
    return RedirectResponse(f"/m/{code}/uploads/{received.upload_id}", 303)


def receive_and_check(request: Request, who: Principal, code: str, file: UploadFile,
                      dataset: str | None) -> uploads.Upload:
    """Store the upload under the portal's own name, validate it, audit it (pages and API)."""
    home = home_of(request)
    started = time.perf_counter()
    try:
        upload_id, path = uploads.receive(home, file.file, file.filename or "unnamed")
    except uploads.UploadTooLarge as exc:
        raise HTTPException(413) from exc
    received = uploads.check(home, upload_id, path, file.filename or "unnamed", who.user.email,
                             code, dataset)
    audit.record(home, "upload", actor=who.user.email, role=who.user.role, municipality=code,
                 target=received.original_name, ip=client_ip(request),
                 outcome="ok" if received.report["accepted"] else "errors",
                 detail=f"sha256={received.sha256} dataset={received.report['dataset']} "
                        f"seconds={time.perf_counter() - started:.3f}")
    return received


def _own_upload(request: Request, code: str, upload_id: str) -> uploads.Upload:
    found = uploads.get(home_of(request), upload_id)
    if found is None or found.municipality != code:
        raise HTTPException(404)
    return found


@router.get("/m/{code}/uploads/{upload_id}")
def upload_result(request: Request, upload_id: str, code: str = Depends(member_scope),
                  who: Principal = Depends(signed_in)):
    found = _own_upload(request, code, upload_id)
    contracts = load_contracts()
    contract = contracts.get(found.report["dataset"] or "")
    return render(request, "result.html", {
        "who": who, "code": code, "member": area_for(home_of(request)).member(code),
        "upload": found, "report": found.report, "contract": contract})


@router.get("/m/{code}/uploads/{upload_id}/errors.xlsx")
def error_file(request: Request, upload_id: str, code: str = Depends(member_scope)):
    from orchestration.portal.errorfile import write_error_workbook

    found = _own_upload(request, code, upload_id)
    if not found.path.exists():
        raise HTTPException(404)
    with tempfile.TemporaryDirectory() as tmp:
        out = write_error_workbook(found.path, uploads.report_from_record(found.report),
                                   Path(tmp) / "errors.xlsx", lang=_lang(request))
        data = out.read_bytes()
    stem = Path(found.original_name).stem or "upload"
    return _attachment(data, f"{stem}_errors.xlsx", XLSX)


@router.post("/m/{code}/uploads/{upload_id}/submit")
def submit_upload(request: Request, upload_id: str, csrf_token: str = Form(""),
                  code: str = Depends(member_scope), who: Principal = Depends(signed_in)):
    check_csrf(who, csrf_token)
    found = _own_upload(request, code, upload_id)
    if not found.report["accepted"] or not found.path.exists():
        raise HTTPException(409 if found.path.exists() else 404)
    result = uploads.submit(home_of(request), found, who.user.email)
    entry = result.entry or result.duplicate_of
    audit.record(home_of(request), "submission", actor=who.user.email, role=who.user.role,
                 municipality=code, target=entry.submission_id if entry else None,
                 ip=client_ip(request),
                 outcome=("duplicate" if result.duplicate_of else
                          "accepted" if result.accepted else "rejected"),
                 detail=f"sha256={found.sha256}")
    if entry is None:  # refused on the second look (the ledger moved): show why
        return RedirectResponse(f"/m/{code}/uploads/{upload_id}", 303)
    state = "duplicate" if result.duplicate_of else "restored" if result.restored else "new"
    return RedirectResponse(f"/m/{code}/submissions/{entry.submission_id}?receipt={state}", 303)


@router.get("/m/{code}/history")
def history(request: Request, code: str = Depends(member_scope),
            who: Principal = Depends(signed_in)):
    entries = [e for e in Ledger(home_of(request)).entries() if e.municipality == code]
    return render(request, "history.html", {
        "who": who, "code": code, "member": area_for(home_of(request)).member(code),
        "entries": list(reversed(entries)), "contracts": load_contracts()})


def _own_entry(request: Request, code: str, submission_id: str):
    entry = next((e for e in Ledger(home_of(request)).entries()
                  if e.submission_id == submission_id and e.municipality == code), None)
    if entry is None:
        raise HTTPException(404)
    return entry


@router.get("/m/{code}/submissions/{submission_id}")
def receipt(request: Request, submission_id: str, receipt: str = "",
            code: str = Depends(member_scope), who: Principal = Depends(signed_in)):
    return render(request, "receipt.html", {
        "who": who, "code": code, "member": area_for(home_of(request)).member(code),
        "entry": _own_entry(request, code, submission_id), "state": receipt,
        "contracts": load_contracts()})


@router.get("/m/{code}/submissions/{submission_id}/file")
def submitted_file(request: Request, submission_id: str, code: str = Depends(member_scope),
                   who: Principal = Depends(signed_in)):
    entry = _own_entry(request, code, submission_id)
    if not entry.stored_path:
        raise HTTPException(404)
    home = home_of(request)
    audit.record(home, "download", actor=who.user.email, role=who.user.role, municipality=code,
                 target=submission_id, ip=client_ip(request))
    return _attachment((home.root / entry.stored_path).read_bytes(), entry.original_name,
                       "application/octet-stream")


@router.get("/m/{code}/figures")
def figures(request: Request, code: str = Depends(member_scope),
            who: Principal = Depends(signed_in), view: str = ""):
    """The published figures; ``?view=pending``: the provisional ones of a release waiting
    for the secretariat's approval (the member's own rows only, not public yet)."""
    from orchestration.portal.figures import (
        latest_release_dir,
        member_figures,
        pending_release_dir,
    )

    home = home_of(request)
    pending = pending_release_dir(home)
    provisional = view == "pending" and pending is not None
    release = pending if provisional else latest_release_dir(home)
    return render(request, "figures.html", {
        "who": who, "code": code, "member": area_for(home).member(code),
        "figures": member_figures(release, code) if release else None,
        "provisional": provisional, "pending_id": pending.name if pending else None})


@router.get("/audit")
def audit_page(request: Request, event: str | None = None,
               who: Principal = Depends(secretariat_only)):
    return render(request, "audit.html", {
        "who": who, "entries": audit.entries(home_of(request), event=event or None),
        "events": audit.EVENTS, "outcomes": audit.OUTCOMES, "event": event or ""})


# ---------------------------------------------------------------- helpers

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(data: bytes, name: str, media_type: str) -> Response:
    """A download is never shown inline: a submitted .html stays a file."""
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=media_type,
                    headers={"Content-Disposition": disposition})


def _lang(request: Request) -> str:
    from orchestration.portal.app import lang_of

    return lang_of(request)
