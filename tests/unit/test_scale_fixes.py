"""What keeps a build near linear in the number of members (issue 16)."""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration import pipeline, synthetic_area
from orchestration.area import PER_MEMBER_DETAIL_UP_TO, record_area
from orchestration.home import Home
from orchestration.publication.catalog import REGIONAL_KPIS
from orchestration.publication.files import csv_bytes, typed_frame


@pytest.mark.parametrize(("members", "one_event_per_asset"), [
    (PER_MEMBER_DETAIL_UP_TO, False),
    (PER_MEMBER_DETAIL_UP_TO + 1, True),
])
def test_a_large_areas_run_plans_one_event_per_asset_not_per_partition(
        tmp_path, monkeypatch, members, one_event_per_asset):
    from orchestration.dagster_storage import KeptOpenSqliteEventLogStorage

    # set, then removed: monkeypatch then restores the variable's absence after the test
    monkeypatch.setenv(pipeline.PLANNED_SUBSET_ENV, "unset")
    monkeypatch.delenv(pipeline.PLANNED_SUBSET_ENV)
    home = Home(tmp_path / "home")
    record_area(home, synthetic_area.write_area(members, tmp_path / "area"))
    pipeline._planned_events_for(home)
    # Dagster's own switch, read where it decides: the home's event log storage's property
    # (it reads only the environment).
    switch = KeptOpenSqliteEventLogStorage.supports_partition_subset_in_asset_materialization_planned_events
    assert switch.fget(None) is one_event_per_asset


def test_an_operators_own_setting_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(pipeline.PLANNED_SUBSET_ENV, "false")
    home = Home(tmp_path / "home")
    record_area(home, synthetic_area.write_area(PER_MEMBER_DETAIL_UP_TO + 5,
                                                tmp_path / "area"))
    pipeline._planned_events_for(home)
    import os

    assert os.environ[pipeline.PLANNED_SUBSET_ENV] == "false"


# ------------------------------------------------ the event log's schema questions (issue 16)
CODES = [f"{p:02d}{n:03d}" for n in range(201, 203) for p in range(1, 48)][:60]


def test_the_event_log_asks_the_schema_once_per_process(tmp_path, monkeypatch):
    """Dagster asks whether a table exists on every event it stores (a new engine each
    time): one event per partition made that 15 s of a 1,741-member intake."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    from orchestration.dagster_storage import KeptOpenSqliteEventLogStorage

    asked = []
    real = SqliteEventLogStorage.has_table
    monkeypatch.setattr(SqliteEventLogStorage, "has_table",
                        lambda self, name: asked.append(name) or real(self, name))
    storage = KeptOpenSqliteEventLogStorage(str(tmp_path / "runs"))
    asked.clear()
    for _ in range(5):
        assert storage.has_table("asset_event_tags")
    assert asked == ["asset_event_tags"]
    assert not storage.has_table("no_such_table")
    assert not storage.has_table("no_such_table")
    assert asked.count("no_such_table") == 2  # an absence is asked again (a migration adds it)
    asked.clear()
    storage.wipe()  # the files are new: what was seen is asked again
    assert storage.has_table("asset_event_tags")
    assert "asset_event_tags" in asked
    storage.dispose()


def test_partitions_are_recorded_with_the_schema_answers_kept(tmp_path):
    """The kept answers change nothing in what Dagster records for a partition range."""
    import dagster as dg

    partitions = dg.StaticPartitionsDefinition(CODES)

    @dg.asset(partitions_def=partitions, backfill_policy=dg.BackfillPolicy.single_run())
    def loaded(context):
        return dg.MaterializeResult(metadata={"n": len(context.partition_keys)})

    instance = dg.DagsterInstance.local_temp(str(tmp_path), overrides={"event_log_storage": {
        "module": "orchestration.dagster_storage", "class": "KeptOpenSqliteEventLogStorage",
        "config": {"base_dir": str(tmp_path / "history" / "runs")}}})
    result = dg.materialize([loaded], instance=instance, tags={
        "dagster/asset_partition_range_start": CODES[0],
        "dagster/asset_partition_range_end": CODES[-1]})
    assert result.success
    assert instance.get_materialized_partitions(dg.AssetKey("loaded")) == set(CODES)


# ------------------------------------------- published CSV, column by column (issue 16)
def _row_by_row(frame: pd.DataFrame, dataset) -> bytes:
    """The CSV as csv.writer writes it row by row: what csv_bytes wrote before issue 16."""
    import csv
    import io

    from orchestration.publication.files import _cell

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(dataset.column_names)
    types = [f.type for f in dataset.fields]
    for row in frame[dataset.column_names].itertuples(index=False, name=None):
        writer.writerow([_cell(v, t) for v, t in zip(row, types, strict=True)])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def _awkward_frame(n: int = 300) -> pd.DataFrame:
    texts = ["a,b", 'say "hi"', "two\nlines", "cr\rhere", "", "＝全角", "-1", " lead", "普通"]
    values = [0.0, -0.0, 1e-7, 1504800000000.0, -69.0, float("nan"), 0.1, 2.5e20, 3.0]
    return pd.DataFrame({
        "kpi_id": [f"k{i % 7}" for i in range(n)],
        "kpi_name_ja": [texts[i % len(texts)] for i in range(n)],
        "kpi_name_en": [None if i % 5 == 0 else texts[(i + 3) % len(texts)] for i in range(n)],
        "period": [f"CY{2019 + i % 9}{'' if i % 2 else ' '}" for i in range(n)],
        "period_type": ["CY"] * n, "period_year": [2019 + i % 9 for i in range(n)],
        "value": [values[i % len(values)] for i in range(n)],
        "unit": ["persons", "yen", ""] * (n // 3),
        "members_reporting": [None if i % 4 == 0 else i for i in range(n)],
        "cumulative_value": [values[(i + 1) % len(values)] for i in range(n)],
        "cumulative_period": [None] * n})


def test_csv_written_column_by_column_equals_the_row_by_row_writer():
    frame = typed_frame(_awkward_frame(), REGIONAL_KPIS)
    assert csv_bytes(frame, REGIONAL_KPIS) == _row_by_row(frame, REGIONAL_KPIS)


def test_a_one_column_csv_keeps_the_writers_quoting_of_empty_rows():
    from dataclasses import replace

    one = replace(REGIONAL_KPIS, fields=REGIONAL_KPIS.fields[:1],
                  primary_key=(REGIONAL_KPIS.fields[0].name,))
    frame = typed_frame(pd.DataFrame({one.fields[0].name: ["", "x", None]}), one)
    assert csv_bytes(frame, one) == _row_by_row(frame, one)
    assert b'\r\n""\r\n' in csv_bytes(frame, one)


@pytest.mark.parametrize("values", [
    ["b", None, "a", float("nan"), pd.NA, "＝"],  # text with every kind of NULL
    [None, None, None],                         # all empty
    ["x", 3, 2.5, None],                        # not text: written with str()
])
def test_typed_text_columns_are_the_same_whichever_path_they_take(values):
    n = len(values)
    frame = pd.DataFrame({"kpi_id": [f"k{i}" for i in range(n)], "kpi_name_ja": values,
                          "kpi_name_en": values, "period": ["CY2023"] * n,
                          "period_type": ["CY"] * n, "period_year": [2023] * n,
                          "value": [1.0] * n, "unit": ["persons"] * n,
                          "members_reporting": [6] * n, "cumulative_value": [None] * n,
                          "cumulative_period": [None] * n})
    typed = typed_frame(frame, REGIONAL_KPIS)
    expected = [None if pd.isna(v) else str(v) for v in values]
    assert [None if v is pd.NA else v for v in typed["kpi_name_ja"]] == expected
    assert str(typed["kpi_name_ja"].dtype) == "string"
