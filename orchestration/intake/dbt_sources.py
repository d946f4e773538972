"""Generate dbt's ``_sources.yml`` from the submission contracts.

The contracts are the single definition of each dataset; this file is generated so the
dbt sources cannot drift from them (a unit test compares the committed file).
Run: ``python -m orchestration.intake.dbt_sources``.
"""

from __future__ import annotations

import yaml

from orchestration.home import DBT_PROJECT_DIR
from orchestration.intake.contracts import load_contracts, raw_columns

SOURCES_YML = DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml"
HEADER = "# GENERATED from sources/contracts/*.yaml by orchestration.intake.dbt_sources; do not edit.\n"


def render_sources_yaml() -> str:
    tables = []
    for contract in load_contracts().values():
        columns = []
        for name, dtype, desc_ja, desc_en in raw_columns(contract):
            column = {"name": name, "description": f"{desc_ja} / {desc_en}",
                      "data_type": dtype.lower()}
            if name in ("municipality_code", "submission_id", "source_sha256"):
                column["data_tests"] = ["not_null"]
            columns.append(column)
        tables.append({
            "name": contract.dataset,
            "description": f"{contract.title_ja} / {contract.title_en}. "
                           f"{contract.description_en}".strip(),
            "meta": {"dagster": {"asset_key": ["raw", contract.dataset]}},
            "columns": columns,
        })
    doc = {"version": 2, "sources": [{
        "name": "raw",
        "schema": "raw",
        "description": "Members' accepted submissions, one partition per municipality, loaded "
                       "by the Dagster intake assets. Every row carries its submission id.",
        "tables": tables,
    }]}
    return HEADER + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


def main() -> None:
    SOURCES_YML.write_text(render_sources_yaml(), encoding="utf-8")
    print(SOURCES_YML)


if __name__ == "__main__":
    main()
