"""The JSON API (DESIGN.md "Submission portal"): the same validator and the same JSON as
``kurume-hub validate --json``; 401 without credentials, 403 for another member's code
(checked before the body is looked at, nothing recorded)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse

from orchestration.intake.contracts import load_contracts
from orchestration.intake.messages import Msg
from orchestration.intake.submissions import report_payload, submit_file
from orchestration.portal import audit, uploads
from orchestration.portal.pages import home_of, receive_and_check
from orchestration.portal.security import Principal, check_csrf, client_ip, principal

router = APIRouter(prefix="/api/v1")


def _caller(request: Request) -> Principal:
    who = principal(request)
    if who is None:
        raise HTTPException(401)
    return who


def _municipality(request: Request, who: Principal, municipality: str) -> str:
    code = municipality.strip() or (who.user.municipality or "")
    if not code:
        raise HTTPException(400, detail=Msg("municipality（5桁の団体コード）を指定してください。",
                                            "Give the municipality (5-digit member code)."))
    if not who.user.may_act_for(code):
        audit.record(home_of(request), "denied", actor=who.user.email, role=who.user.role,
                     municipality=who.user.municipality, target=f"{request.url.path} {code}",
                     ip=client_ip(request))
        raise HTTPException(403)
    return code


def _dataset(dataset: str) -> str | None:
    if dataset and dataset not in load_contracts():
        names = ", ".join(load_contracts())
        raise HTTPException(400, detail=Msg(f"データセット「{dataset}」はありません（{names}）",
                                            f"Unknown dataset '{dataset}' ({names})"))
    return dataset or None


def _received(request: Request, who: Principal, municipality: str, dataset: str):
    """Credentials (the route's dependency), CSRF (cookie callers), the member rule and the
    dataset name are checked before the file is stored under the portal's own name."""
    check_csrf(who, request.headers.get("x-csrf-token"))
    code = _municipality(request, who, municipality)
    return who, code, _dataset(dataset)


@router.post("/validate")
def validate(request: Request, file: UploadFile = File(...), municipality: str = Form(""),
             dataset: str = Form(""), lang: str = "ja", who: Principal = Depends(_caller)):
    # who as a dependency: 401 comes before any complaint about the form (422).
    who, code, name = _received(request, who, municipality, dataset)
    received = receive_and_check(request, who, code, file, name)
    payload = report_payload(uploads.report_from_record(received.report), None, True, lang)
    # The stored verdict keeps the count of rows read, not the rows themselves.
    payload["rows_accepted"] = received.report["rows_accepted"]
    return JSONResponse(payload)


@router.post("/submissions")
def submissions(request: Request, file: UploadFile = File(...), municipality: str = Form(""),
                dataset: str = Form(""), lang: str = "ja", who: Principal = Depends(_caller)):
    """Validate and record in one step, through the CLI's ``submit_file``: 201 accepted,
    422 refused (a refused file is kept in the ledger as ``submit`` keeps it), 200 when the
    file is already the current submission (nothing recorded)."""
    who, code, name = _received(request, who, municipality, dataset)
    home = home_of(request)
    upload_id, path = _store(file, home)
    result = submit_file(home, path, code, name, submitter=who.user.email,
                         original_name=file.filename or "unnamed")
    entry = result.entry or result.duplicate_of
    uploads.remember(home, upload_id, path, who.user.email, result.report,
                     entry.submission_id if entry else None)
    outcome = ("duplicate" if result.duplicate_of else "accepted" if result.accepted
               else "not_recorded" if result.report.record_nothing else "rejected")
    audit.record(home, "submission", actor=who.user.email, role=who.user.role,
                 municipality=code, target=entry.submission_id if entry else None,
                 ip=client_ip(request), outcome=outcome, detail=f"sha256={result.report.sha256}")
    payload = report_payload(result.report, result.entry, False, lang)
    if result.duplicate_of is not None:
        payload["duplicate_of"] = result.duplicate_of.submission_id
        return JSONResponse(payload, status_code=200 if result.accepted else 422)
    return JSONResponse(payload, status_code=201 if result.accepted else 422)


def _store(file: UploadFile, home):
    try:
        return uploads.receive(home, file.file, file.filename or "unnamed")
    except uploads.UploadTooLarge as exc:
        raise HTTPException(413) from exc


@router.get("/status")
def status(request: Request, lang: str = "ja"):
    from orchestration.portal.status import area_status, member_status

    who = _caller(request)
    home = home_of(request)
    if who.user.is_secretariat:
        members = area_status(home)
    else:
        members = {who.user.municipality: member_status(home, who.user.municipality)}
    return {"members": {code: [s.to_dict(lang) for s in rows] for code, rows in members.items()}}
