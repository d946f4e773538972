"""Publication: write the candidate release, then promote it once the gate has passed."""

import dagster as dg

from orchestration.area import area_for
from orchestration.publication.catalog import PUBLISHED, published_datasets
from orchestration.publication.fingerprint import build_fingerprint
from orchestration.publication.inputs import loaded_submission_ids, release_inputs
from orchestration.publication.release import (
    Candidate,
    clear_stale_candidates,
    hold_for_approval,
    promote,
    write_candidate,
)
from orchestration.resources import HubHome
from orchestration.warehouse import open_warehouse

CANDIDATE_KEY = dg.AssetKey("release_candidate")


@dg.asset(
    key=CANDIDATE_KEY,
    # The candidate exists to be audited: it sits with the gate in the quality group.
    group_name="quality",
    # Every mart of the catalogue: dbt builds them all (empty for an area without the data).
    deps=[dg.AssetKey(d.relation.split(".")) for d in PUBLISHED],
    description="The next release, written completely under releases/.candidates/ "
                "(not visible) for the quality gate to audit.",
    kinds={"python"},
)
def release_candidate(context: dg.AssetExecutionContext, hub: HubHome) -> dg.MaterializeResult:
    home = hub.home
    for leftover in clear_stale_candidates(home):
        context.log.warning(f"removed the leftover of an interrupted build: {leftover}")
    area = area_for(home)
    frames = read_tables(home, [d.relation for d in published_datasets(area)])
    frames = {d.name: frames[d.relation] for d in published_datasets(area)}
    # Exactly the submissions whose rows the warehouse holds (not what the ledger got since).
    inputs = release_inputs(home, loaded_submission_ids(home))
    candidate = write_candidate(home, frames, inputs,
                                acknowledgements=used_acknowledgements(home, frames, area),
                                fingerprint=build_fingerprint(home, inputs))
    context.log.info(f"candidate {candidate.release_id} written to {candidate.path}")
    return dg.MaterializeResult(metadata={
        "release_id": candidate.release_id,
        "path": dg.MetadataValue.path(str(candidate.path)),
        **{f"rows_{name}": len(frame) for name, frame in frames.items()},
    })


def read_tables(home, relations) -> dict:
    """The published marts as pandas frames, read in one session of the home's warehouse
    (the same dtypes and values from DuckDB and PostgreSQL: orchestration/warehouse.py)."""
    with open_warehouse(home, read_only=True) as warehouse:
        return {relation: warehouse.read_frame(relation) for relation in relations}


def used_acknowledgements(home, frames, area=None) -> list[dict]:
    """The acknowledgements that let a suspicious change or revision of this candidate
    through (the same derived frames the gate judges)."""
    from dataclasses import asdict

    import pandas as pd

    from orchestration.quality.acknowledgements import load
    from orchestration.quality.derived import member_changes, member_revisions

    acks = load(home)
    keys = {a.key for a in acks}
    indicators = frames["municipal_indicators"]
    published = home.latest / "data" / "municipal_indicators.parquet"
    before = pd.read_parquet(published) if published.exists() else None
    area = area or area_for(home)
    flagged = pd.concat([member_changes(indicators, keys, area),
                         member_revisions(indicators, before, keys, area)])
    flagged = flagged[flagged["suspicious"].astype(bool)]
    used = set(zip(flagged["kpi_id"], flagged["municipality_code"], flagged["period"]))
    return [asdict(a) for a in acks if a.key in used]


def latest_candidate(context, home) -> Candidate:
    event = context.instance.get_latest_materialization_event(CANDIDATE_KEY)
    if event is None or event.asset_materialization is None:
        raise dg.Failure("no release candidate has been written yet")
    release_id = event.asset_materialization.metadata["release_id"].value
    return Candidate(release_id, home.staging_releases / release_id)


@dg.asset(
    key="release",
    group_name="publication",
    deps=[CANDIDATE_KEY],
    description="Promotes the audited candidate: atomic rename into releases/<id> and an "
                "atomic swap of releases/latest. Runs only when the blocking gate passed.",
    kinds={"python"},
)
def release(context: dg.AssetExecutionContext, hub: HubHome) -> dg.MaterializeResult:
    home = hub.home
    candidate = latest_candidate(context, home)
    approval = area_for(home).approval == "required"
    target = (home.pending_releases if approval else home.releases) / candidate.release_id
    if not candidate.path.is_dir() and not target.is_dir():
        raise dg.Failure(f"candidate {candidate.release_id} is not waiting in {candidate.path}")
    # The area decides: "auto" publishes what passed the gate, "required" lets it wait for
    # the secretariat's `kurume-hub approve`.
    final = hold_for_approval(home, candidate) if approval else promote(home, candidate)
    return dg.MaterializeResult(metadata={
        "release_id": candidate.release_id,
        "path": dg.MetadataValue.path(str(final)),
        "awaiting_approval": approval,
    })
