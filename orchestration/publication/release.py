"""Write-Audit-Publish for releases.

A candidate is written completely under ``releases/.candidates/`` (never visible as a
release), audited by the quality gate, then promoted by one atomic rename plus an atomic
swap of the ``releases/latest`` symlink. A rejected candidate moves to
``releases/rejected/<id>/`` with its validation report; ``latest`` is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from orchestration import __version__
from orchestration.home import PROJECT_ROOT, Home
from orchestration.publication.catalog import PUBLISHED, PublishedDataset
from orchestration.publication.changes import render_changes
from orchestration.publication.faults import crash_point
from orchestration.publication.files import (
    csv_bytes,
    sha256_bytes,
    sha256_path,
    typed_frame,
    write_parquet,
)
from orchestration.publication.fingerprint import METADATA_KEY as FINGERPRINT_KEY
from orchestration.publication.inputs import public_acknowledgement

LICENSE = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
           "path": "https://creativecommons.org/licenses/by/4.0/"}


@dataclass(frozen=True)
class Candidate:
    release_id: str
    path: Path


def code_version() -> str:
    try:
        commit = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__


def write_candidate(home: Home, frames: dict[str, pd.DataFrame], inputs: list[dict],
                    now: datetime | None = None,
                    acknowledgements: list[dict] | None = None,
                    fingerprint: str | None = None) -> Candidate:
    """Write every data file and the metadata, then name the folder by time + content hash.
    ``fingerprint`` (inputs, acknowledgements, definitions) lets the next build see that
    nothing changed."""
    now = now or datetime.now(UTC)
    home.staging_releases.mkdir(parents=True, exist_ok=True)
    work = home.staging_releases / f".writing-{uuid.uuid4().hex}"
    (work / "data").mkdir(parents=True)
    try:
        return _write_into(home, work, frames, inputs, now, acknowledgements or [], fingerprint)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)  # a half-written candidate is never kept
        raise


def _write_into(home: Home, work: Path, frames: dict[str, pd.DataFrame], inputs: list[dict],
                now: datetime, acknowledgements: list[dict],
                fingerprint: str | None = None) -> Candidate:
    hashes = {}
    typed = {}
    for dataset in PUBLISHED:
        frame = typed[dataset.name] = typed_frame(frames[dataset.name], dataset)
        data = csv_bytes(frame, dataset)
        (work / "data" / f"{dataset.name}.csv").write_bytes(data)
        write_parquet(frame, work / "data" / f"{dataset.name}.parquet")
        hashes[dataset.name] = sha256_bytes(data)
    crash_point("after_data")
    content_hash = sha256_bytes("\n".join(f"{k}:{v}" for k, v in sorted(hashes.items())).encode())
    release_id = f"{now:%Y%m%dT%H%M%SZ}-{content_hash[:12]}"
    package = datapackage(release_id, now, work, inputs, content_hash)
    # Published with the role that confirmed them; the person stays in the home's file.
    acknowledgements = [public_acknowledgement(a) for a in acknowledgements]
    package["kurume:acknowledgements"] = acknowledgements
    package[FINGERPRINT_KEY] = fingerprint
    (work / "datapackage.json").write_text(
        json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    previous = home.latest.resolve() if home.latest.exists() else None
    (work / "CHANGES.md").write_text(
        render_changes(release_id, typed, previous, inputs, acknowledgements), encoding="utf-8")
    final = home.staging_releases / release_id
    os.replace(work, final)
    return Candidate(release_id, final)


def _resource(dataset: PublishedDataset, folder: Path) -> dict:
    """The CSV is the Data Package resource; the parquet twin is listed beside it (a
    frictionless validator cannot read parquet without plugins, and it is the same data)."""
    path = f"data/{dataset.name}.csv"
    parquet = f"data/{dataset.name}.parquet"
    fields = []
    for f in dataset.fields:
        field = {"name": f.name, "type": f.type, "title": f.title_ja,
                 "description": " / ".join(x for x in (f.description_ja or f.title_ja,
                                                        f.description_en or f.title_en) if x),
                 "kurume:title_en": f.title_en}
        if f.unit:
            field["kurume:unit"] = f.unit
        if f.type == "boolean":
            field.update(trueValues=["true"], falseValues=["false"])
        fields.append(field)
    return {
        "name": dataset.name,
        "path": path,
        "title": f"{dataset.title_ja} / {dataset.title_en}",
        "description": f"{dataset.description_ja} / {dataset.description_en}",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8-sig",
        "hash": f"sha256:{sha256_path(folder / path)}",
        "bytes": (folder / path).stat().st_size,
        "licenses": [LICENSE],
        "schema": {"fields": fields, "primaryKey": list(dataset.primary_key)},
        "kurume:parquet": {"path": parquet, "hash": f"sha256:{sha256_path(folder / parquet)}",
                           "bytes": (folder / parquet).stat().st_size},
    }


def datapackage(release_id: str, now: datetime, folder: Path, inputs: list[dict],
                content_hash: str) -> dict:
    return {
        "name": "kurume-regional-kpis",
        "id": release_id,
        "title": "久留米広域連携中枢都市圏 圏域KPIデータ / Kurume regional hub area KPI data",
        "description": "久留米広域連携中枢都市圏（久留米市・大川市・小郡市・うきは市・大刀洗町・大木町）の"
                       "圏域 KPI と構成値。 / Regional KPIs of the Kurume regional hub city area "
                       "and the members' components.",
        "version": release_id,
        "created": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "licenses": [LICENSE],
        "sources": [
            {"title": "久留米市・大川市・小郡市・うきは市・大刀洗町・大木町（提出データ） / "
                      "submissions of the six members"},
            {"title": "久留米広域連携中枢都市圏 事務局（久留米市） / secretariat (Kurume City)"},
        ],
        "contributors": [{"title": "久留米広域連携中枢都市圏 事務局", "role": "publisher"}],
        "resources": [_resource(d, folder) for d in PUBLISHED],
        "kurume:content_hash": content_hash,
        "kurume:code_version": code_version(),
        "kurume:inputs": inputs,
    }


def promote(home: Home, candidate: Candidate) -> Path:
    """Atomic: the release folder appears by rename, then ``latest`` flips by rename.
    Re-running after a failure between the two steps only flips ``latest``."""
    final = home.releases / candidate.release_id
    if not (final.is_dir() and not candidate.path.exists()):
        os.replace(candidate.path, final)
    crash_point("during_promotion")
    swap_latest(home, candidate.release_id)
    return final


def clear_stale_candidates(home: Home) -> list[str]:
    """Leftovers of an interrupted build (one writer at a time: nothing else is writing)."""
    removed = []
    if home.staging_releases.exists():
        for leftover in home.staging_releases.iterdir():
            shutil.rmtree(leftover, ignore_errors=True)
            removed.append(leftover.name)
    return removed


def swap_latest(home: Home, release_id: str) -> None:
    link = home.releases / f".latest-{uuid.uuid4().hex}"
    os.symlink(release_id, link)  # relative: the home can be moved
    os.replace(link, home.latest)


def reject(home: Home, candidate: Candidate) -> Path:
    home.rejected_releases.mkdir(parents=True, exist_ok=True)
    target = home.rejected_releases / candidate.release_id
    if target.exists():
        shutil.rmtree(target)
    os.replace(candidate.path, target)
    return target


def latest_release_id(home: Home) -> str | None:
    return os.readlink(home.latest) if home.latest.is_symlink() else None


def _created(folder: Path) -> str | None:
    try:
        return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))["created"]
    except (OSError, ValueError, KeyError):
        return None


def list_releases(home: Home) -> list[dict]:
    """Published and rejected releases, newest first, with which one is ``latest``."""
    latest = latest_release_id(home)
    rows = []
    for folder in home.releases.glob("*"):
        if folder.is_dir() and not folder.is_symlink() and folder.name[:1].isdigit():
            status = "latest" if folder.name == latest else "published"
            rows.append({"release_id": folder.name, "status": status,
                         "created": _created(folder), "path": str(folder)})
    if home.rejected_releases.exists():
        for folder in home.rejected_releases.iterdir():
            rows.append({"release_id": folder.name, "status": "rejected",
                         "created": _created(folder), "path": str(folder)})
    return sorted(rows, key=lambda r: r["release_id"], reverse=True)


def rollback(home: Home, release_id: str) -> None:
    """Repoint ``latest`` at an earlier published release (atomic, nothing deleted)."""
    folder = home.releases / release_id
    if "/" in release_id or not release_id[:1].isdigit() or not folder.is_dir():
        raise KeyError(release_id)
    swap_latest(home, release_id)
