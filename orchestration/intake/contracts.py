"""Submission contracts, loaded from ``sources/contracts/<dataset>.yaml``.

A contract is the single definition of a dataset: machine column names, Japanese header
aliases, types, units, key columns and allowed codes. Readers, templates, docs and dbt
sources derive from it. Stdlib + PyYAML only: this sits on the ``validate`` fast path.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from orchestration.area import SAFE_YAML_LOADER
from orchestration.home import SOURCES_DIR

CONTRACTS_DIR = SOURCES_DIR / "contracts"
# The reference tables (members, projects, services, counterpart areas) come from the
# active area (orchestration/area_tables.py); dbt reads the same rows from the warehouse,
# so codes cannot drift between intake and models.

# Years a submission may report: history back to 2010 is useful, and a few years past the
# end of a vision leave room for the next one.
MIN_YEAR = 2010
MAX_YEAR = 2035

# Units whose values are counts of whole things: a value in a column in one of these units
# must be a whole number (609,000.5 人 or 0.25 件 cannot be true). Money (円, 千円, 百万円)
# and ratios are not counts: 1.5 百万円 is 1,500,000 円.
COUNT_UNITS = frozenset({
    "人", "名", "件", "人日", "人泊", "泊", "世帯", "戸", "組", "団体", "企業", "社", "事業所",
    "店舗", "施設", "機関", "館", "校", "園", "回", "事業", "講座", "冊", "本", "個", "台", "棟",
    "軒", "頭", "か所"})
# Zero-width characters copied in with text from web pages or chat: invisible in a header,
# and never part of it.
ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


@dataclass(frozen=True)
class Column:
    name: str
    ja: str
    type: str  # year | quantity | text | code | integer | period
    required: bool = True
    aliases: tuple[str, ...] = ()
    unit: str | None = None
    unit_en: str | None = None
    min: float | None = None
    max: float | None = None
    period_type: str | None = None
    # code columns: a reference table name (municipalities, counterpart_areas, ...) or a list
    # of {code, ja, en}; members may type the code or its Japanese label.
    codes: str | tuple | None = None
    other_members_allowed: bool = False
    must_be_submitter: bool = False
    not_submitter: bool = False  # e.g. a counterpart area: never the submitter itself
    participation_required: bool = False
    pattern: str | None = None
    description_ja: str = ""
    description_en: str = ""

    @property
    def header_keys(self) -> set[str]:
        """Normalised header spellings this column answers to."""
        return {normalize_header(h) for h in (self.name, self.ja, *self.aliases)}


@dataclass(frozen=True)
class Contract:
    dataset: str
    title_ja: str
    title_en: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    period_type: str | None = None
    description_ja: str = ""
    description_en: str = ""
    deadline_days: int = 120  # days after a period ends when the figure is due
    # How many years after the current one a period of this dataset may be: 0 for actual
    # figures (a count for a year that has not begun cannot be true); 1 where next year's
    # figure exists already (a budget adopted before its fiscal year starts).
    future_years: int = 0
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def submitters(self) -> tuple[str, ...]:
        """Members expected to submit this dataset (empty: every member). Which members is
        a fact of the area (the members its KPIs read), not of the contract."""
        from orchestration.area import active_area

        return active_area().dataset_submitters(self.dataset)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def required_columns(self) -> list[Column]:
        return [c for c in self.columns if c.required]


def normalize_header(text: str) -> str:
    """Fold width (全角/半角), case and spaces so typed headers still match."""
    folded = unicodedata.normalize("NFKC", str(text).translate(ZERO_WIDTH)).strip().lower()
    return "".join(folded.split())


def _column_from_yaml(raw: dict) -> Column:
    raw = dict(raw)
    raw["aliases"] = tuple(raw.get("aliases", ()))
    if isinstance(raw.get("codes"), list):
        raw["codes"] = tuple((str(c["code"]), c["ja"], c.get("en", "")) for c in raw["codes"])
    return Column(**raw)


def _contract_from_yaml(raw: dict) -> Contract:
    if "submitters" in raw:
        # Member codes in a contract would tie it to one area; the area says who submits.
        raise ValueError(f"{raw.get('dataset')}: submitters belong in the area's KPIs "
                         "(source.members), not in the contract")
    known = {"dataset", "title_ja", "title_en", "columns", "key", "period_type",
             "description_ja", "description_en", "deadline_days", "future_years"}
    return Contract(
        dataset=raw["dataset"],
        title_ja=raw["title_ja"],
        title_en=raw["title_en"],
        columns=tuple(_column_from_yaml(c) for c in raw["columns"]),
        key=tuple(raw["key"]),
        period_type=raw.get("period_type"),
        description_ja=raw.get("description_ja", ""),
        description_en=raw.get("description_en", ""),
        deadline_days=int(raw.get("deadline_days", 120)),
        future_years=int(raw.get("future_years", 0)),
        extra={k: v for k, v in raw.items() if k not in known},
    )


@cache
def load_contracts(directory: Path = CONTRACTS_DIR) -> dict[str, Contract]:
    contracts = {}
    for path in sorted(directory.glob("*.yaml")):
        contract = _contract_from_yaml(yaml.load(path.read_text(encoding="utf-8"),
                                                 Loader=SAFE_YAML_LOADER))
        contracts[contract.dataset] = contract
    return contracts


def get_contract(dataset: str) -> Contract:
    contracts = load_contracts()
    if dataset not in contracts:
        raise KeyError(dataset)
    return contracts[dataset]


def seed_rows(name: str) -> list[dict[str, str]]:
    """A reference table of the active area, as text rows."""
    from orchestration.area_tables import reference_rows

    return reference_rows(name)


def municipalities() -> dict[str, dict[str, str]]:
    """The active area's members by 5-digit code (全国地方公共団体コード without check digit),
    in the area's display order (a copy: callers may change it)."""
    from orchestration.area import active_area

    area = active_area()
    # Asked per member and per submission (labels, release inputs): building the table
    # hashed the whole Area for reference_rows' cache, O(members) per call and quadratic
    # over a 1,741-member area (issue 16). The long-lived Area is matched by identity, as
    # in code_lookup.
    hit = _MUNICIPALITIES.get(id(area))
    if hit is None or hit[0] is not area:
        hit = (area, {row["lg_code5"]: row for row in seed_rows("municipalities")})
        _MUNICIPALITIES[id(area)] = hit
    return dict(hit[1])


_MUNICIPALITIES: dict[int, tuple] = {}


def participation() -> dict[str, frozenset[str]]:
    """Collaboration project number -> the member codes taking part."""
    return {row["no"]: frozenset(row["participating_lg_code5"].split(";"))
            for row in seed_rows("collaboration_projects")}


def member_label(code: str) -> tuple[str, str]:
    """How messages name a member: (「A市（12345）」, "A City (12345)")."""
    row = municipalities().get(code)
    if row is None:
        return code, code
    return f"{row['name_ja']}（{code}）", f"{row['name_en']} ({code})"


# A column naming the member each row belongs to, in a file whose contract has none (an
# export of published data carries municipality_code; members add 団体コード): it is checked
# like a must_be_submitter column (every row names the submitter) and not stored.
MEMBER_COLUMN = Column(
    name="municipality_code", ja="団体コード", type="code", required=False,
    aliases=("municipality", "municipality code", "市町村コード", "市町コード", "提出団体",
             "提出団体コード", "市町村名", "市町名", "市町村", "市町", "団体名"),
    codes="municipalities", must_be_submitter=True)


@cache
def header_keys(dataset: str | None = None) -> frozenset[str]:
    """Normalised headers a submission may carry: one contract's, or any contract's, plus
    the member column. What tells a header row from a title row above it."""
    contracts = [get_contract(dataset)] if dataset else load_contracts().values()
    keys = set(MEMBER_COLUMN.header_keys)
    for contract in contracts:
        for col in contract.columns:
            keys |= col.header_keys
    return frozenset(keys)


# Reference tables a code column may draw from: table name -> (code, Japanese and English label).
CODE_TABLES = {
    "municipalities": ("lg_code5", "name_ja", "name_en"),
    "counterpart_areas": ("area_code", "name_ja", "name_en"),
    "shared_services": ("service_code", "name_ja", "name_en"),
    "collaboration_projects": ("no", "name_ja", "name_en"),
}


def code_table(column: Column) -> dict[str, tuple[str, str]]:
    """code -> (Japanese label, English label) for a code column (of the active area)."""
    from orchestration.area import active_area

    return _code_table(column, active_area())


@cache
def _code_table(column: Column, _area) -> dict[str, tuple[str, str]]:
    if isinstance(column.codes, tuple):
        return {code: (ja, en) for code, ja, en in column.codes}
    code_col, ja_col, en_col = CODE_TABLES[column.codes]
    from orchestration.area_tables import reference_rows

    return {row[code_col]: (row[ja_col], row[en_col])
            for row in reference_rows(column.codes, _area)}


def code_lookup(column: Column) -> dict[str, str]:
    """Normalised code or label -> code, so 転入, in and ＩＮ all mean ``in``."""
    from orchestration.area import active_area

    area = active_area()
    # Asked once per cell: hashing a Column and an Area for ``@cache`` cost more than the
    # lookup itself, so the (cached, long-lived) objects are matched by identity first.
    hit = _LOOKUPS.get((id(column), id(area)))
    if hit is not None and hit[0] is column and hit[1] is area:
        return hit[2]
    lookup = _code_lookup(column, area)
    _LOOKUPS[(id(column), id(area))] = (column, area, lookup)
    return lookup


_LOOKUPS: dict[tuple[int, int], tuple] = {}


@cache
def _code_lookup(column: Column, area) -> dict[str, str]:
    lookup = {}
    for code, (ja, en) in _code_table(column, area).items():
        for spelling in (code, ja, en, f"{code} {ja}", f"{code}{ja}"):
            if spelling:
                lookup[normalize_header(spelling)] = code
    return lookup


# How each contract type lands in DuckDB's raw schema.
DUCKDB_TYPES = {
    "year": "INTEGER",
    "integer": "INTEGER",
    "quantity": "DOUBLE",
    "text": "VARCHAR",
    "code": "VARCHAR",
    "period": "VARCHAR",
    "measure": "DOUBLE",
}

# Provenance carried by every raw row (OWID-style: the data says where it came from).
PROVENANCE_COLUMNS = (
    ("municipality_code", "VARCHAR", "提出した市町の5桁団体コード", "Submitting member's 5-digit code"),
    ("submission_id", "VARCHAR", "提出ID（台帳）", "Submission id in the ledger"),
    ("source_sha256", "VARCHAR", "提出ファイルの SHA-256", "SHA-256 of the submitted file"),
    ("source_sheet", "VARCHAR", "シート名（CSV は空）", "Sheet name (empty for CSV)"),
    ("source_row", "INTEGER", "ファイル上の行番号", "Row number in the file"),
)


def raw_columns(contract: Contract) -> list[tuple[str, str, str, str]]:
    """(name, duckdb type, description ja, description en) of ``raw.<dataset>``."""
    cols = []
    for c in contract.columns:
        desc = (c.description_ja or c.ja, c.description_en or c.name)
        if c.type == "measure":
            # A measure keeps what was typed next to what it means (以上, 集計中, 速報値 ...).
            cols += [(c.name, "DOUBLE", *desc),
                     (f"{c.name}_raw", "VARCHAR", "入力されたままの値", "Value as typed"),
                     (f"{c.name}_qualifier", "VARCHAR", "以上/以下", "at_least / at_most"),
                     (f"{c.name}_status", "VARCHAR", "状態（ok, pending 等）",
                      "ok | missing | pending | not_measured | deleted"),
                     (f"{c.name}_flags", "VARCHAR", "注記フラグ", "Flags (preliminary, ...)")]
        else:
            cols.append((c.name, DUCKDB_TYPES[c.type], *desc))
    return cols + list(PROVENANCE_COLUMNS)
