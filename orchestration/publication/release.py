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
from orchestration.area import Area, area_for
from orchestration.home import PROJECT_ROOT, Home
from orchestration.publication.approval import supersede_pending, swap_latest
from orchestration.publication.catalog import PublishedDataset, published_datasets
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

# Data Package license entries of the licenses an area may name (area.yaml ``license``);
# another id is published by its name alone.
LICENSES = {
    "CC-BY-4.0": {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
                  "path": "https://creativecommons.org/licenses/by/4.0/"},
    "CC0-1.0": {"name": "CC0-1.0", "title": "Creative Commons Zero v1.0 Universal",
                "path": "https://creativecommons.org/publicdomain/zero/1.0/"},
    "ODC-BY-1.0": {"name": "ODC-BY-1.0", "title": "Open Data Commons Attribution License v1.0",
                   "path": "https://opendatacommons.org/licenses/by/1-0/"},
}


def license_entry(area: Area) -> dict:
    return dict(LICENSES.get(area.license, {"name": area.license}))


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
    area = area_for(home)
    datasets = published_datasets(area)
    for dataset in datasets:
        frame = typed[dataset.name] = typed_frame(frames[dataset.name], dataset)
        data = csv_bytes(frame, dataset)
        (work / "data" / f"{dataset.name}.csv").write_bytes(data)
        write_parquet(frame, work / "data" / f"{dataset.name}.parquet")
        hashes[dataset.name] = sha256_bytes(data)
    crash_point("after_data")
    content_hash = sha256_bytes("\n".join(f"{k}:{v}" for k, v in sorted(hashes.items())).encode())
    release_id = f"{now:%Y%m%dT%H%M%SZ}-{content_hash[:12]}"
    package = datapackage(release_id, now, work, inputs, content_hash, area, datasets)
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


def _resource(dataset: PublishedDataset, folder: Path, terms: dict) -> dict:
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
        "licenses": [terms],
        "schema": {"fields": fields, "primaryKey": list(dataset.primary_key)},
        "kurume:parquet": {"path": parquet, "hash": f"sha256:{sha256_path(folder / parquet)}",
                           "bytes": (folder / parquet).stat().st_size},
    }


def datapackage(release_id: str, now: datetime, folder: Path, inputs: list[dict],
                content_hash: str, area: Area,
                datasets: tuple[PublishedDataset, ...] | None = None) -> dict:
    """The release's metadata: names, members, publisher and license from the area."""
    datasets = published_datasets(area) if datasets is None else datasets
    terms = license_entry(area)
    members_ja = "・".join(m.name_ja for m in area.members)
    members_en = ", ".join(m.name_en for m in area.members)
    # A demonstration area's figures are generated: the metadata says so, not only the pages.
    synthetic = ("合成データ（公式統計ではありません）。", " Synthetic data, not official "
                 "statistics.") if area.synthetic else ("", "")
    return {
        "name": f"{area.id}-regional-kpis",
        "id": release_id,
        "title": f"{area.name_ja} 圏域KPIデータ / {area.name_en} KPI data",
        "description": f"{area.name_ja}（{members_ja}）の圏域 KPI と構成値。{synthetic[0]} / "
                       f"Regional KPIs of the {area.name_en} and the members' components."
                       f"{synthetic[1]}",
        "version": release_id,
        "created": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "licenses": [terms],
        "sources": [
            {"title": f"{members_ja}（提出データ） / submissions of the members ({members_en})"},
            {"title": f"{area.publisher_ja} / {area.publisher_en}"},
        ],
        "contributors": [{"title": area.publisher_ja, "role": "publisher"}],
        "resources": [_resource(d, folder, terms) for d in datasets],
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


def hold_for_approval(home: Home, candidate: Candidate) -> Path:
    """``publication.approval: required``: the audited candidate waits, complete but not
    public, in ``releases/pending/<id>``; ``latest`` and the site are unchanged."""
    home.pending_releases.mkdir(parents=True, exist_ok=True)
    target = home.pending_releases / candidate.release_id
    if not (target.is_dir() and not candidate.path.exists()):  # re-run after a crash
        os.replace(candidate.path, target)
    supersede_pending(home, candidate.release_id)
    return target


def reject(home: Home, candidate: Candidate) -> Path:
    home.rejected_releases.mkdir(parents=True, exist_ok=True)
    target = home.rejected_releases / candidate.release_id
    if target.exists():
        shutil.rmtree(target)
    os.replace(candidate.path, target)
    return target
