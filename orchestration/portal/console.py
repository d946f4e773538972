"""The secretariat's console: who is late, build, review, approve or reject, roll back.

Every route is the secretariat's only (``secretariat_only``: a member gets 403, recorded in
the audit log). Long actions (a build, an approval that rebuilds the site, a rollback) are
queued jobs run one at a time as ``kurume-hub`` commands (jobs.py); quick ones (acknowledge,
reject) run here with the same rules as the CLI. Pages refresh themselves while a job runs
(a meta refresh: no script needed).
"""

from __future__ import annotations

import csv
import io
import mimetypes
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from orchestration.area import area_for
from orchestration.home import Home
from orchestration.intake.messages import VAGUE_REASON, Msg, vague_reason
from orchestration.portal import audit, jobs
from orchestration.portal.app import render
from orchestration.portal.pages import home_of, secretariat_only
from orchestration.portal.security import Principal, check_csrf, client_ip
from orchestration.quality.acknowledgements import acknowledged_keys

router = APIRouter()

NOTICES = {
    "acknowledged": Msg("確認済みとして記録しました。次のビルドで公開できます。",
                        "Recorded as acknowledged; the next build can publish it."),
    "rejected": Msg("差し戻しました。公開サイトは変わりません。",
                    "Rejected; the public site is unchanged."),
    "not_pending": Msg("この公開版は承認待ちではありません（すでに決定済みか、存在しません）。",
                       "This release is not waiting for approval (already decided, or "
                       "unknown)."),
    "not_published": Msg("この公開版は公開済みの一覧にありません。",
                         "This release is not among the published ones."),
    "vague_reason": VAGUE_REASON,
}
# The preview shows the site as the public will see it: its plotly charts are inline
# scripts, which the portal's own pages never need.
PREVIEW_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
               "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
               "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def _record(request: Request, who: Principal, event: str, target: str | None = None,
            outcome: str | None = None, detail: str | None = None) -> None:
    audit.record(home_of(request), event, actor=who.user.email, role=who.user.role,
                 target=target, ip=client_ip(request), outcome=outcome, detail=detail)


def _notice(key: str | None, error: str | None = None) -> dict:
    if error:
        return {"notice": None, "error": error}
    return {"notice": NOTICES.get(key or ""), "error": None}


def _wake(request: Request) -> None:
    worker = getattr(request.app.state, "jobs", None)
    if worker is not None:
        worker.wake()


# ---------------------------------------------------------------- who has reported


LATE_COLUMNS = (
    ("municipality_code", "団体コード"), ("municipality_name", "団体名"),
    ("dataset", "データセット"), ("dataset_title", "データセット名"), ("state", "状態"),
    ("overdue_periods", "期限超過の期間"), ("deadline", "期限"), ("days_late", "超過日数"),
    ("last_received_at", "最終受付日時 (UTC)"),
)


@router.get("/members/late.csv")
def late_members_csv(request: Request, who: Principal = Depends(secretariat_only)):
    """Members with an overdue or returned dataset, one row each, for the reminder mail
    (UTF-8 with BOM so Excel opens it; codes stay text)."""
    from orchestration.portal.status import STATE_LABELS, area_status

    home = home_of(request)
    area = area_for(home)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([ja for _, ja in LATE_COLUMNS])
    for code, rows in area_status(home).items():
        member = area.member(code)
        for s in rows:
            if s.state not in ("overdue", "returned"):
                continue
            writer.writerow([code, member.name_ja, s.dataset, s.title_ja,
                             STATE_LABELS[s.state].ja, " ".join(s.overdue_periods),
                             s.deadline.isoformat() if s.deadline else "", s.days_late,
                             s.last_received_at or ""])
    name = f"late_members_{date.today().isoformat()}.csv"
    return Response(("\ufeff" + out.getvalue()).encode("utf-8"), media_type="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=\"{name}\""})


# ---------------------------------------------------------------- build


@router.get("/console/build")
def build_page(request: Request, who: Principal = Depends(secretariat_only)):
    home = home_of(request)
    views = [jobs.view(home, j) for j in jobs.recent(home, 10)]
    return render(request, "console_build.html", {
        "who": who, "jobs": views, "kinds": jobs.KINDS, "states": jobs.STATE_LABELS,
        "running": any(not v.finished for v in views)})


@router.post("/console/build")
def request_build(request: Request, csrf_token: str = Form(""),
                  who: Principal = Depends(secretariat_only)):
    check_csrf(who, csrf_token)
    job_id = jobs.enqueue(home_of(request), "build", who.user.email)
    _record(request, who, "build_requested", target=job_id, outcome="queued")
    _wake(request)
    return RedirectResponse(f"/console/jobs/{job_id}", 303)


@router.get("/console/jobs/{job_id}")
def job_page(request: Request, job_id: str, who: Principal = Depends(secretariat_only)):
    home = home_of(request)
    job = jobs.get(home, job_id)
    if job is None:
        raise HTTPException(404)
    view = jobs.view(home, job)
    return render(request, "console_job.html", {
        "who": who, "job": view, "kinds": jobs.KINDS, "states": jobs.STATE_LABELS,
        "stage_status": jobs.STAGE_STATUS, "command": " ".join(["kurume-hub", *jobs.command(job)]),
        "queue": [j["job_id"] for j in jobs.unfinished(home)]})


# ---------------------------------------------------------------- review


@router.get("/console/review")
def review_page(request: Request, who: Principal = Depends(secretariat_only),
                done: str | None = None):
    return _review(request, who, NOTICES.get(done or ""))


def _review(request: Request, who: Principal, notice: Msg | None = None,
            problem: Msg | None = None, status: int = 200):
    """The review page; ``problem``: why the acknowledgement just posted was refused (shown
    in place, not carried in a URL a link could forge)."""
    from orchestration.portal import review
    from orchestration.quality.report import cell_text, column_label, dataset_title

    home = home_of(request)
    pending = review.pending_release(home)
    return render(request, "console_review.html", {
        "who": who, "gate": review.latest_gate(home), "ack_key": review.ack_key,
        "acknowledged": acknowledged_keys(home), "pending": pending.name if pending else None,
        "changes_html": review.changes_html(pending) if pending else None,
        "dataset_title": dataset_title, "column_label": column_label, "cell_text": cell_text,
        "notice": notice, "error": problem.get(_lang(request)) if problem else None},
        status=status)


@router.post("/console/acknowledge")
def acknowledge(request: Request, kpi: str = Form(""), municipality: str = Form(""),
                period: str = Form(""), reason: str = Form(""), csrf_token: str = Form(""),
                who: Principal = Depends(secretariat_only)):
    from orchestration.quality import acknowledgements

    check_csrf(who, csrf_token)
    home = home_of(request)
    target = f"{kpi} {municipality} {period}"
    problem = VAGUE_REASON if vague_reason(reason) else None
    if problem is None:
        try:
            acknowledgements.check(home, kpi, municipality, period)
        except acknowledgements.InvalidAcknowledgement as exc:
            problem = exc.msg
    if problem is not None:
        _record(request, who, "acknowledged", target=target, outcome="refused",
                detail=problem.en)
        return _review(request, who, problem=problem, status=422)
    acknowledgements.add(home, kpi, municipality, period, reason, who.user.email)
    _record(request, who, "acknowledged", target=target, outcome="ok", detail=reason)
    return RedirectResponse("/console/review?done=acknowledged", 303)


# ---------------------------------------------------------------- releases


@router.get("/console/releases")
def releases_page(request: Request, who: Principal = Depends(secretariat_only),
                  done: str | None = None, error: str | None = None):
    from orchestration.publication.approval import list_releases

    home = home_of(request)
    return render(request, "console_releases.html", {
        "who": who, "releases": list_releases(home), "has_preview": _has_preview(home),
        **_notice(done, NOTICES[error].get(_lang(request)) if error in NOTICES else None)})


def _has_preview(home: Home):
    return lambda release_id: (home.previews / release_id / "index.html").is_file()


def _lang(request: Request) -> str:
    from orchestration.portal.app import lang_of

    return lang_of(request)


@router.post("/console/releases/{release_id}/approve")
def approve(request: Request, release_id: str, csrf_token: str = Form(""),
            who: Principal = Depends(secretariat_only)):
    check_csrf(who, csrf_token)
    if not _is_pending(home_of(request), release_id):
        return RedirectResponse("/console/releases?error=not_pending", 303)
    job_id = jobs.enqueue(home_of(request), "approve", who.user.email, release_id=release_id)
    _record(request, who, "approve_requested", target=release_id, outcome="queued")
    _wake(request)
    return RedirectResponse(f"/console/jobs/{job_id}", 303)


@router.post("/console/releases/{release_id}/reject")
def reject(request: Request, release_id: str, reason: str = Form(""),
           csrf_token: str = Form(""), who: Principal = Depends(secretariat_only)):
    from orchestration.publication.approval import UnknownRelease, reject_pending

    if (refused := _vague(who, csrf_token, reason)) is not None:
        return refused
    try:
        reject_pending(home_of(request), release_id, who.user.email, reason)
    except UnknownRelease:
        return RedirectResponse("/console/releases?error=not_pending", 303)
    _record(request, who, "release_rejected", target=release_id, outcome="ok", detail=reason)
    return RedirectResponse("/console/releases?done=rejected", 303)


@router.post("/console/releases/{release_id}/rollback")
def rollback(request: Request, release_id: str, reason: str = Form(""),
             csrf_token: str = Form(""), who: Principal = Depends(secretariat_only)):
    if (refused := _vague(who, csrf_token, reason)) is not None:
        return refused
    home = home_of(request)
    if not _is_published(home, release_id):
        return RedirectResponse("/console/releases?error=not_published", 303)
    job_id = jobs.enqueue(home, "rollback", who.user.email, release_id=release_id,
                          reason=reason)
    _record(request, who, "rollback_requested", target=release_id, outcome="queued",
            detail=reason)
    _wake(request)
    return RedirectResponse(f"/console/jobs/{job_id}", 303)


def _vague(who: Principal, csrf_token: str, reason: str) -> RedirectResponse | None:
    """A reject or rollback form: the CSRF check, then the one reason rule (the CLI's)."""
    check_csrf(who, csrf_token)
    if vague_reason(reason):
        return RedirectResponse("/console/releases?error=vague_reason", 303)
    return None


def _is_pending(home: Home, release_id: str) -> bool:
    return _plain_id(release_id) and (home.pending_releases / release_id).is_dir()


def _is_published(home: Home, release_id: str) -> bool:
    return _plain_id(release_id) and (home.releases / release_id).is_dir()


def _plain_id(release_id: str) -> bool:
    return release_id[:1].isdigit() and all(c.isalnum() or c == "-" for c in release_id)


# ---------------------------------------------------------------- preview


@router.get("/console/preview/{release_id}/{page:path}")
def preview(request: Request, release_id: str, page: str = "",
            who: Principal = Depends(secretariat_only)):
    """The site the pending release would make (not public): its pages from
    ``preview/<id>/``, the release's own files (data, validation report) under ``release/``."""
    home = home_of(request)
    if not _is_pending(home, release_id):
        raise HTTPException(404)
    page = page or "index.html"
    if page.startswith("release/"):
        base, relative = home.pending_releases / release_id, page[len("release/"):]
    else:
        base, relative = home.previews / release_id, page
    path = _inside(base, relative)
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    headers = {"Content-Security-Policy": PREVIEW_CSP, "X-Robots-Tag": "noindex"}
    if media_type == "text/html" and base == home.previews / release_id:
        page_html = _with_preview_banner(path.read_text(encoding="utf-8"), release_id,
                                         english=path.name.endswith(".en.html"))
        return Response(page_html, media_type="text/html; charset=utf-8", headers=headers)
    return FileResponse(path, media_type=media_type, headers=headers)


PREVIEW_BANNER = Msg(
    "プレビュー（非公開）: 承認待ちの公開版 {release_id} です。承認するまで公開サイトには出ません。",
    "Preview (not public): release {release_id} awaits approval; the public site shows it "
    "only once approved.")
_BANNER_STYLE = ("position:sticky;top:0;z-index:1000;margin:0;padding:.5em 1em;"
                 "background:#fff4e0;color:#5a3b00;border-bottom:2px solid #d4a017;"
                 "font-weight:700;font-family:sans-serif")


def _with_preview_banner(page_html: str, release_id: str, english: bool) -> str:
    """The preview says on every page that it is not the public site (the pages themselves
    are the public ones, byte for byte, below the banner)."""
    import html
    import re

    text = PREVIEW_BANNER.format(release_id=release_id).get("en" if english else "ja")
    banner = f'<p role="note" class="preview-banner" style="{_BANNER_STYLE}">{html.escape(text)}</p>'
    found = re.search(r"<body[^>]*>", page_html)
    if found is None:
        return banner + page_html
    return page_html[:found.end()] + banner + page_html[found.end():]


def _inside(base: Path, relative: str) -> Path:
    """``relative`` under ``base``, a regular file, not reached through a link or ``..``."""
    root = base.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or not target.is_file() or \
            any(part in ("..", "") for part in relative.split("/")):
        raise HTTPException(404)
    return target
