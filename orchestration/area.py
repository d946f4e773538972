"""The regional hub area: one folder ``sources/areas/<area_id>/`` (DESIGN.md "Area definition").

Everything that belongs to one 連携中枢都市圏 (members, vision, publisher, KPIs and their
methods, projects, shared services, counterpart areas) is read from that folder; the rest of
the code derives from the :class:`Area` loaded here. A home records its area in
``<home>/area/`` (a copy made by ``kurume-hub init --area``), so every later command of that
home uses the same definition; a home without one uses the default area.

Kept free of heavy imports: validate and submit read the members from here.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import yaml

from orchestration.home import HOME_ENV, SOURCES_DIR, Home

# libyaml's safe loader when PyYAML has it: the same documents, read ~10× faster (the area
# and the contracts are read by every ``validate``, issue 15).
SAFE_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

AREAS_DIR = SOURCES_DIR / "areas"
DEFAULT_AREA_ID = "kurume"
AREA_FILE = "area.yaml"
# Optional tables beside area.yaml; an area without one has no dataset or page for it.
OPTIONAL_TABLES = ("projects.csv", "shared_services.csv", "counterpart_areas.csv")
# The vocabulary of KPI methods: each is one dbt macro ``kpi_method_<name>``
# (dbt_project/macros/kpi_methods.sql).
METHODS = ("sum_of_members", "count_of_rows", "net_moves", "cross_member_usage",
           "survey_points_mean")
# Methods that publish a period only when every listed member reported it.
_ALL_MEMBERS_REQUIRED = frozenset({"sum_of_members", "net_moves", "survey_points_mean"})
PERIOD_TYPES = ("CY", "FY")
DIRECTIONS = ("higher", "lower", "maintain")
APPROVALS = ("auto", "required")
# Dagster records some things once per member partition (a run's metadata, its planned
# events): fine for an area, slow or quadratic for a prefecture or the country. Up to this many
# members they stay per member; beyond it they are summarised (issue 16).
PER_MEMBER_DETAIL_UP_TO = 50
_PERIOD = re.compile(r"^(CY|FY)(\d{4})$")


class AreaError(ValueError):
    """An area definition that cannot be used; the message names the file and the key."""

    def __init__(self, ja: str, en: str):
        super().__init__(f"{ja} / {en}")
        self.ja, self.en = ja, en


def check_digit(code5: str) -> str:
    """The check digit of a 全国地方公共団体コード: weights 6,5,4,3,2, modulus 11.

    13101 -> 6 (131016, 千代田区); a remainder of 0 gives 1 and of 1 gives 0 (JIS X 0401 / 総務省)."""
    if not re.fullmatch(r"\d{5}", code5):
        raise ValueError(code5)
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


def lg_code6(code5: str) -> str:
    return code5 + check_digit(code5)


@dataclass(frozen=True)
class Member:
    code: str            # 5-digit code, a string (leading zeros kept)
    name_ja: str
    name_en: str
    kind: str = "city"   # city | town | village | ward
    role: str = "partner"  # hub | partner
    population_approx: int | None = None  # reference only: per-capita context on the pages

    @property
    def lg_code(self) -> str:
        return lg_code6(self.code)

    def name(self, lang) -> str:
        return lang.t(self.name_ja, self.name_en)


@dataclass(frozen=True)
class Kpi:
    id: str
    name_ja: str
    name_en: str
    unit: str            # base unit of published values: persons, yen, projects ...
    display_unit: str    # unit on pages and in the report (factor from the one unit table)
    period_type: str     # CY | FY
    direction: str       # higher | lower | maintain
    method: str
    dataset: str
    measure: str | None
    members: tuple[str, ...]  # the members the method reads (codes)
    field_ja: str = ""
    field_en: str = ""
    baseline_period: str | None = None
    baseline_value: float | None = None
    target_period: str | None = None
    target_value: float | None = None
    cumulative_from: str | None = None  # the target is the sum of the years from then on
    running_total: bool = False         # publish the running total since the vision's start
    synthetic: bool = False             # a KPI made up for a demonstration area
    notes: str = ""
    # area.yaml ``per_capita`` (the pages' per-capita context), as sorted (key, text) pairs
    per_capita: tuple[tuple[str, str], ...] = ()

    @property
    def required_members(self) -> int:
        """Members that must report a period before the area value is published."""
        return len(self.members) if self.method in _ALL_MEMBERS_REQUIRED else 1

    @property
    def signed(self) -> bool:
        """Values may be negative (net moves): a sign change is not a unit slip."""
        return self.method == "net_moves"

    @property
    def target_period_text(self) -> str | None:
        """The target period as published: CY2026-CY2030 for a cumulative target."""
        if self.cumulative_from and self.target_period:
            return f"{self.cumulative_from}-{self.target_period}"
        return self.target_period

    def name(self, lang) -> str:
        return lang.t(self.name_ja, self.name_en)


@dataclass(frozen=True)
class Area:
    id: str
    name_ja: str
    name_en: str
    publisher_ja: str
    publisher_en: str
    license: str
    vision_name_ja: str
    vision_name_en: str
    first_year: int
    last_year: int
    approval: str
    members: tuple[Member, ...]
    datasets: tuple[str, ...]
    kpis: tuple[Kpi, ...]
    folder: Path
    synthetic: bool = False
    counterpart_groups: tuple[tuple[str, str, str], ...] = ()  # (group, name_ja, name_en)
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    # ------------------------------------------------------------------ lookups
    @property
    def member_codes(self) -> tuple[str, ...]:
        return tuple(m.code for m in self.members)

    def member(self, code: str) -> Member | None:
        return next((m for m in self.members if m.code == str(code)), None)

    def kpi(self, kpi_id: str) -> Kpi | None:
        return next((k for k in self.kpis if k.id == kpi_id), None)

    def dataset_submitters(self, dataset: str) -> tuple[str, ...]:
        """The members expected to submit a dataset: those its KPIs read (source.members).

        Empty means every member: a dataset no KPI reads, or one a KPI reads from all."""
        kpis = [k for k in self.kpis if k.dataset == dataset]
        codes = {code for k in kpis for code in k.members}
        if not kpis or codes >= set(self.member_codes):
            return ()
        return tuple(c for c in self.member_codes if c in codes)

    @property
    def hub(self) -> Member:
        return next((m for m in self.members if m.role == "hub"), self.members[0])

    def name(self, lang) -> str:
        return lang.t(self.name_ja, self.name_en)

    def publisher(self, lang) -> str:
        return lang.t(self.publisher_ja, self.publisher_en)

    def has_table(self, name: str) -> bool:
        return (self.folder / f"{name}.csv").is_file()

    def table(self, name: str) -> list[dict[str, str]]:
        """Rows of an optional table beside area.yaml ([] when the area has none)."""
        path = self.folder / f"{name}.csv"
        if not path.is_file():
            return []
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))

    @property
    def samples_dir(self) -> Path:
        return self.folder / "samples"

    def digest(self) -> str:
        """SHA-256 over the definition's files: a changed area is a changed build input."""
        h = hashlib.sha256()
        for name in (AREA_FILE, *OPTIONAL_TABLES):
            path = self.folder / name
            if path.is_file():
                h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
        return h.hexdigest()


# ---------------------------------------------------------------------- loading
def _fail(path: Path, ja: str, en: str):
    raise AreaError(f"{path}: {ja}", f"{path}: {en}")


def _period(path: Path, where: str, text) -> str | None:
    if text in (None, ""):
        return None
    if not _PERIOD.match(str(text)):
        _fail(path, f"{where} の期間「{text}」は CY2023 や FY2022 の形で書いてください",
              f"{where}: period {text!r} must look like CY2023 or FY2022")
    return str(text)


def _member(path: Path, raw: dict) -> Member:
    code = str(raw.get("code", "")).strip()
    if not re.fullmatch(r"\d{5}", code):
        _fail(path, f"members の団体コード「{code}」は5桁の数字（文字列）で書いてください",
              f"members: code {code!r} must be five digits, quoted as a string")
    given6 = str(raw.get("lg_code", "")).strip()
    if given6 and given6 != lg_code6(code):
        _fail(path, f"団体コード {given6} の検査数字が誤っています（正: {lg_code6(code)}）",
              f"code {given6} fails the check digit (expected {lg_code6(code)})")
    for key in ("name_ja", "name_en"):
        if not raw.get(key):
            _fail(path, f"members の {code} に {key} がありません", f"members: {code} lacks {key}")
    pop = raw.get("population_approx")
    return Member(code, str(raw["name_ja"]), str(raw["name_en"]), str(raw.get("kind", "city")),
                  str(raw.get("role", "partner")), int(pop) if pop not in (None, "") else None)


def _kpi(path: Path, raw: dict, members: tuple[str, ...], datasets: tuple[str, ...]) -> Kpi:
    kid = str(raw.get("id", ""))
    if not re.fullmatch(r"[a-z][a-z0-9_]*", kid):
        _fail(path, f"KPI の id「{kid}」は英小文字・数字・_ で書いてください",
              f"kpi id {kid!r} must be lowercase letters, digits and _")
    source = raw.get("source") or {}
    method = source.get("method")
    if method not in METHODS:
        _fail(path, f"KPI {kid} の source.method「{method}」は {', '.join(METHODS)} のいずれかです",
              f"kpi {kid}: source.method {method!r} is not one of {', '.join(METHODS)}")
    dataset = source.get("dataset")
    if dataset not in datasets:
        _fail(path, f"KPI {kid} の source.dataset「{dataset}」が datasets にありません",
              f"kpi {kid}: source.dataset {dataset!r} is not in datasets")
    chosen = source.get("members", "all")
    codes = members if chosen in ("all", None) else tuple(str(c) for c in chosen)
    unknown = sorted(set(codes) - set(members))
    if unknown:
        _fail(path, f"KPI {kid} の source.members に構成団体でないコード {unknown} があります",
              f"kpi {kid}: source.members {unknown} are not members")
    period_type = raw.get("period_type")
    if period_type not in PERIOD_TYPES:
        _fail(path, f"KPI {kid} の period_type は CY か FY です", f"kpi {kid}: period_type is CY or FY")
    direction = raw.get("direction", "higher")
    if direction not in DIRECTIONS:
        _fail(path, f"KPI {kid} の direction は {DIRECTIONS} のいずれかです",
              f"kpi {kid}: direction must be one of {DIRECTIONS}")
    unit = str(raw.get("unit", ""))
    shown = _display_unit(path, kid, unit, raw.get("display_unit"))
    baseline = raw.get("baseline") or {}
    target = raw.get("target") or {}
    where = f"KPI {kid}"
    return Kpi(
        id=kid, name_ja=str(raw["name_ja"]), name_en=str(raw["name_en"]),
        unit=unit, display_unit=shown,
        period_type=period_type, direction=direction, method=method, dataset=dataset,
        measure=source.get("measure"), members=codes,
        field_ja=str(raw.get("field_ja") or ""), field_en=str(raw.get("field_en") or ""),
        baseline_period=_period(path, where, baseline.get("period")),
        baseline_value=_number(baseline.get("value")),
        target_period=_period(path, where, target.get("period")),
        target_value=_number(target.get("value")),
        cumulative_from=_period(path, where, raw.get("cumulative_from")),
        running_total=bool(raw.get("running_total", False)),
        synthetic=bool(raw.get("synthetic", False)),
        notes=str(raw.get("notes") or "").strip(),
        per_capita=tuple(sorted((str(k), str(v)) for k, v in (raw.get("per_capita") or {}).items())),
    )


def _display_unit(path: Path, kid: str, unit: str, given) -> str:
    """The KPI's display unit, which must be in the one unit table: a unit the table does
    not know would be scaled by no one (or differently on a page than in the model)."""
    from orchestration.units import BASE_UNITS, unit_table

    shown = str(given or BASE_UNITS.get(unit, (unit,))[0])
    known = [row.unit for row in unit_table()]
    if shown not in known:
        _fail(path, f"KPI {kid} の display_unit「{shown}」は単位表にありません（{'、'.join(known)}）",
              f"kpi {kid}: display_unit {shown!r} is not in the unit table ({', '.join(known)})")
    return shown


def _number(value) -> float | None:
    return None if value in (None, "") else float(value)


def load_area(location: str | os.PathLike) -> Area:
    """An area from its folder or its area.yaml; AreaError (ja/en) when it cannot be used."""
    path = Path(location)
    if path.is_dir():
        path = path / AREA_FILE
    if not path.is_file():
        raise AreaError(f"地域の定義がありません: {path}", f"No area definition at {path}")
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_YAML_LOADER) or {}
    return _area_from_yaml(path, raw)


def _area_from_yaml(path: Path, raw: dict) -> Area:
    for key in ("id", "name_ja", "name_en", "members", "kpis", "vision"):
        if not raw.get(key):
            _fail(path, f"{key} がありません", f"missing key {key}")
    members = tuple(_member(path, m) for m in raw["members"])
    codes = tuple(m.code for m in members)
    if len(set(codes)) != len(codes):
        _fail(path, "members に同じ団体コードが2回あります", "members: a code appears twice")
    datasets = tuple(raw.get("datasets") or ())
    kpis = tuple(_kpi(path, k, codes, datasets) for k in raw["kpis"])
    if len({k.id for k in kpis}) != len(kpis):
        _fail(path, "kpis に同じ id が2回あります", "kpis: an id appears twice")
    vision = raw["vision"]
    approval = (raw.get("publication") or {}).get("approval", "auto")
    if approval not in APPROVALS:
        _fail(path, "publication.approval は auto か required です",
              "publication.approval is auto or required")
    groups = tuple((g, str(v.get("name_ja", g)), str(v.get("name_en", g)))
                   for g, v in (raw.get("counterpart_groups") or {}).items())
    return Area(
        id=str(raw["id"]), name_ja=str(raw["name_ja"]), name_en=str(raw["name_en"]),
        publisher_ja=str(raw.get("publisher_ja") or raw["name_ja"]),
        publisher_en=str(raw.get("publisher_en") or raw["name_en"]),
        license=str(raw.get("license", "CC-BY-4.0")),
        vision_name_ja=str(vision.get("name_ja", "")), vision_name_en=str(vision.get("name_en", "")),
        first_year=int(vision["first_year"]), last_year=int(vision["last_year"]),
        approval=approval, members=members, datasets=datasets, kpis=kpis,
        folder=path.parent, synthetic=bool(raw.get("synthetic", False)),
        counterpart_groups=groups, raw=raw,
    )


# ------------------------------------------------------------------ the home's area
DEFAULT_AREA_DIR = AREAS_DIR / DEFAULT_AREA_ID


def home_area_dir(home: Home) -> Path:
    return home.root / "area"


def area_dir_for(home: Home) -> Path:
    """The home's recorded area, or the default area for a home made before areas existed."""
    recorded = home_area_dir(home)
    return recorded if (recorded / AREA_FILE).is_file() else DEFAULT_AREA_DIR


def record_area(home: Home, location: str | os.PathLike) -> Area:
    """Copy an area's definition (area.yaml and its tables, not its samples) into the home."""
    area = load_area(location)
    target = home_area_dir(home)
    target.mkdir(parents=True, exist_ok=True)
    for name in (AREA_FILE, *OPTIONAL_TABLES):
        source = area.folder / name
        if source.is_file():
            shutil.copyfile(source, target / name)
        elif (target / name).exists():
            (target / name).unlink()
    return load_area(target)


def area_source_dir(home: Home) -> Path:
    """Where the home's area came from in the repository (for its bundled samples)."""
    area = load_area(area_dir_for(home))
    candidate = AREAS_DIR / area.id
    return candidate if (candidate / AREA_FILE).is_file() else area.folder


@cache
def _load_cached(path: str, mtime_ns: int) -> Area:
    return load_area(path)


def area_for(home: Home) -> Area:
    path = area_dir_for(home) / AREA_FILE
    return _load_cached(str(path), path.stat().st_mtime_ns)


def active_area() -> Area:
    """The area of the home in use (``--home`` / KURUME_HUB_HOME, which the CLI sets).

    The validator asks for it per cell: resolving the home's path each time cost more than
    reading a 10,000-row file, so the path is resolved once per (home setting, working
    folder); whether the home has recorded an area, and its file's mtime, are still checked
    on every call (``init`` records it while the process runs)."""
    path = _recorded_area_file(os.environ.get(HOME_ENV), os.getcwd())
    try:
        mtime_ns = path.stat().st_mtime_ns
    except FileNotFoundError:
        path = DEFAULT_AREA_DIR / AREA_FILE
        mtime_ns = path.stat().st_mtime_ns
    return _load_cached(str(path), mtime_ns)


@lru_cache(maxsize=64)
def _recorded_area_file(home_setting: str | None, cwd: str) -> Path:
    return home_area_dir(Home.resolve(home_setting)) / AREA_FILE


def area_or_active(area: Area | None) -> Area:
    """``area`` when given, else the active area (functions that take an optional area)."""
    return active_area() if area is None else area
