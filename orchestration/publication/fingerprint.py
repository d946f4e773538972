"""What a release is built from, as one hash: the submissions its rows come from, the
acknowledgements, the code and definitions (models, contracts, suites) and the home's area
(its area.yaml and tables, ``Area.digest``: a changed area is a new build).

A build whose fingerprint equals the one recorded in ``releases/latest`` would publish the
same release again, so it publishes nothing (and skips the pipeline). Stdlib only: the check
runs before dagster, dbt or GX are imported.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from orchestration.home import PROJECT_ROOT, Home
from orchestration.intake.ledger import Ledger

METADATA_KEY = "kurume:build_fingerprint"
# What the published data depends on besides the submissions (relative to the project).
_DEFINITIONS = (
    ("orchestration", "*.py"),
    ("dbt_project/models", "*"),
    ("dbt_project/macros", "*"),
    ("dbt_project/tests", "*"),
    ("dbt_project", "dbt_project.yml"),
    ("expectations", "*.json"),
    ("sources/contracts", "*.yaml"),
    ("sources/areas", "*"),
)


@cache
def definitions_digest(root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256()
    for folder, pattern in _DEFINITIONS:
        base = root / folder
        if not base.exists():
            continue
        files = [base / pattern] if "*" not in pattern else base.rglob(pattern)
        for path in sorted(p for p in files if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def build_fingerprint(home: Home, inputs: list[dict]) -> str:
    """Hash of the contributing submissions (id and file hash), the acknowledgements and the
    definitions. ``inputs`` is what ``release_inputs`` lists for the release."""
    from orchestration.quality.acknowledgements import path as acknowledgements_path

    acks = acknowledgements_path(home)
    ledger = Ledger(home)
    from orchestration.area import area_for

    payload = {
        # The normalised rows too: what the warehouse loads is the records, not the file.
        "inputs": sorted((i["submission_id"], i["sha256"],
                          _file_hash(ledger.records_path(i["submission_id"])))
                         for i in inputs),
        "acknowledgements": hashlib.sha256(acks.read_bytes()).hexdigest()
        if acks.exists() else None,
        "definitions": definitions_digest(),
        # The home's own copy of its area (<home>/area), not only the repository's folders.
        "area": area_for(home).digest(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _file_hash(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def recorded_fingerprint(folder: Path) -> str | None:
    """The fingerprint recorded in a release folder (None for none, or an older release)."""
    package = folder / "datapackage.json"
    if not package.exists():
        return None
    try:
        return json.loads(package.read_text(encoding="utf-8")).get(METADATA_KEY)
    except (OSError, ValueError):
        return None


def nothing_new(home: Home) -> str | None:
    """The id of the release that building now would produce again — ``latest``, or one
    waiting for approval in ``releases/pending`` — else None."""
    from orchestration.publication.inputs import release_inputs

    folders = [home.latest] + (sorted(home.pending_releases.iterdir(), reverse=True)
                               if home.pending_releases.is_dir() else [])
    recorded: dict[str, Path] = {}
    for folder in folders:  # latest first: it wins over a pending copy of itself
        fingerprint = recorded_fingerprint(folder)
        if fingerprint is not None:
            recorded.setdefault(fingerprint, folder)
    if not recorded or _interrupted(home):
        return None
    try:
        current = build_fingerprint(home, release_inputs(home))
    except (OSError, ValueError):  # a damaged records file: let the full build report it
        return None
    folder = recorded.get(current)
    return folder.resolve().name if folder is not None else None


def _interrupted(home: Home) -> bool:
    """Leftovers of an interrupted build: a full run clears them (after recovering the dead
    run), so a build is never skipped while they remain."""
    candidates = home.staging_releases
    return candidates.is_dir() and any(candidates.iterdir())
