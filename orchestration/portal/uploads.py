"""Files received over HTTP: kept under a name the portal chooses, checked by the intake's
own validator (the same verdict as ``kurume-hub validate``), then submitted on request.

An upload waits in ``<home>/portal/uploads/`` until the member presses 「提出する」 (the
ledger then keeps its own copy) or until it is a day old.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from orchestration.home import Home
from orchestration.intake.ledger import safe_original_name
from orchestration.intake.messages import Msg
from orchestration.intake.readers import DEFAULT_MAX_BYTES
from orchestration.intake.submissions import SubmitResult, check_file, submit_file
from orchestration.intake.validate import Problem, Report, sha256_file
from orchestration.portal import store

MAX_UPLOAD_BYTES = DEFAULT_MAX_BYTES  # the CLI's limit: one rule for both ways in
UPLOAD_TTL_SECONDS = 24 * 3600
PLAIN_SUFFIX = re.compile(r"\.[a-z0-9]{1,16}")


class UploadTooLarge(Exception):
    pass


@dataclass(frozen=True)
class Upload:
    upload_id: str
    email: str
    municipality: str
    dataset: str | None
    original_name: str
    path: Path
    sha256: str
    size_bytes: int
    created_at: str
    submission_id: str | None
    report: dict  # see report_record


def receive(home: Home, stream: BinaryIO, original_name: str) -> tuple[str, Path]:
    """Copy an uploaded stream to a new file of the portal's choosing. The member's name is
    kept as text only; just its suffix (letters and digits only) reaches the disk, because
    the reader chooses xlsx or csv by it."""
    _remove_stale(home)
    upload_id = secrets.token_urlsafe(16)
    suffix = Path(safe_original_name(original_name)).suffix.lower()
    folder = store.uploads_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    # The reader judges by the suffix (.xltm is a macro workbook, .pdf is named in the
    # refusal): keep the member's own when it is plain letters and digits, else none.
    path = folder / f"{upload_id}{suffix if PLAIN_SUFFIX.fullmatch(suffix) else ''}"
    written = 0
    with path.open("xb") as out:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            written += len(chunk)
            if written > MAX_UPLOAD_BYTES:
                out.close()
                path.unlink()
                raise UploadTooLarge
            out.write(chunk)
    return upload_id, path


def check(home: Home, upload_id: str, path: Path, original_name: str, email: str,
          municipality: str, dataset: str | None) -> Upload:
    """Validate exactly as the CLI does and remember the verdict for the result page."""
    report = check_file(home, path, municipality, dataset, original_name=original_name)
    return remember(home, upload_id, path, email, report)


def remember(home: Home, upload_id: str, path: Path, email: str, report: Report,
             submission_id: str | None = None) -> Upload:
    with store.connect(home) as db:
        db.execute("INSERT INTO uploads (upload_id, email, municipality, dataset, original_name,"
                   " stored_name, sha256, size_bytes, created_at, report_json, submission_id) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (upload_id, email, report.municipality, report.dataset, report.file_name,
                    path.name, report.sha256 or sha256_file(path), path.stat().st_size,
                    store.now(), json.dumps(report_record(report), ensure_ascii=False),
                    submission_id))
    return get(home, upload_id)


def get(home: Home, upload_id: str) -> Upload | None:
    with store.connect(home) as db:
        row = db.execute("SELECT * FROM uploads WHERE upload_id = ?", (upload_id,)).fetchone()
    if row is None:
        return None
    return Upload(row["upload_id"], row["email"], row["municipality"], row["dataset"],
                  row["original_name"], store.uploads_dir(home) / row["stored_name"],
                  row["sha256"], row["size_bytes"], row["created_at"], row["submission_id"],
                  json.loads(row["report_json"]))


def submit(home: Home, upload: Upload, email: str) -> SubmitResult:
    """Record the upload through the same ``submit_file`` as the CLI."""
    result = submit_file(home, upload.path, upload.municipality, upload.report["dataset"],
                         submitter=email, original_name=upload.original_name)
    entry = result.entry or result.duplicate_of
    with store.connect(home) as db:
        db.execute("UPDATE uploads SET submission_id = ? WHERE upload_id = ?",
                   (entry.submission_id if entry else None, upload.upload_id))
    return result


def report_record(report: Report) -> dict:
    """The verdict in both languages (the page can switch language without re-checking)."""
    return {
        "accepted": report.accepted, "file": report.file_name, "dataset": report.dataset,
        "municipality": report.municipality, "sha256": report.sha256,
        "rows_total": report.rows_total, "sheet": report.sheet,
        "rows_accepted": len(report.records) if report.accepted else 0,
        "record_nothing": report.record_nothing,
        "problems": [_problem_record(p) for p in report.problems],
    }


def _problem_record(p: Problem) -> dict:
    return {"severity": p.severity, "code": p.code, "sheet": p.sheet, "row": p.row,
            "column": p.column, "raw": p.raw,
            "message": {"ja": p.message.ja, "en": p.message.en},
            "expected": {"ja": p.expected.ja, "en": p.expected.en} if p.expected else None}


def report_from_record(record: dict) -> Report:
    """The Report a stored verdict stands for (for the error file)."""
    report = Report(file_name=record["file"], municipality=record["municipality"],
                    dataset=record["dataset"], sha256=record["sha256"],
                    rows_total=record["rows_total"], sheet=record.get("sheet"),
                    record_nothing=record.get("record_nothing", False))
    for p in record["problems"]:
        report.problems.append(Problem(
            p["severity"], p["code"], Msg(**p["message"]), p["sheet"], p["row"], p["column"],
            p["raw"], Msg(**p["expected"]) if p["expected"] else None))
    return report


def _remove_stale(home: Home) -> None:
    """Uploads never submitted are not kept past a day (the ledger holds what was sent)."""
    folder = store.uploads_dir(home)
    if not folder.is_dir():
        return
    cutoff = time.time() - UPLOAD_TTL_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink() if path.is_file() else shutil.rmtree(path)
        except FileNotFoundError:
            continue  # removed by a concurrent request
