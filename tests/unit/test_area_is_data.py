"""The area is data: no fact of the Kurume area is written into code outside its folder.

Issue 12: everything that belongs to one 連携中枢都市圏 lives in ``sources/areas/<id>/``;
code derives from the loaded area. The forbidden facts are read from Kurume's own
``area.yaml`` (never re-typed here), so a renamed KPI or an added member is covered too.
Product identifiers (kurume_hub, kurume-hub, KURUME_HUB_*, KurumeDbtTranslator) are not
facts of the area and are not searched for.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from orchestration.area import load_area
from orchestration.intake.contracts import CONTRACTS_DIR, load_contracts

REPO = Path(__file__).resolve().parents[2]
KURUME = REPO / "sources" / "areas" / "kurume"

# What is scanned: code and configuration, not Markdown explanations and not tests.
SCANNED_ROOTS = ("orchestration", "dbt_project", "expectations", "sources")
SCANNED_FILES = ("pyproject.toml", "Makefile")
CODE_SUFFIXES = frozenset({".py", ".sql", ".yml", ".yaml", ".json", ".j2", ".html", ".toml",
                           ".cfg"})
CODE_NAMES = frozenset({"Makefile"})
# Build output and installed packages of dbt, caches: generated, not written by anyone.
SKIPPED_DIRS = frozenset({"target", "logs", "dbt_packages", "__pycache__", ".pytest_cache"})


@dataclass(frozen=True)
class Fact:
    text: str
    what: str
    pattern: re.Pattern


def _fact(text: str, what: str) -> Fact:
    if text.isdigit():
        # A code counts only as a whole number: 40203 inside 1402031 is another number.
        pattern = re.compile(rf"(?<!\d){re.escape(text)}(?!\d)")
    elif text.isascii():
        # A whole word, case and all: KurumeDbtTranslator and kurume_hub are product names.
        pattern = re.compile(rf"(?<![A-Za-z]){re.escape(text)}(?![A-Za-z])")
    else:
        pattern = re.compile(re.escape(text))
    return Fact(text, what, pattern)


def _place_name(area_name: str, hub_name: str) -> str:
    """The place both the area and its hub are named after: 「X市」 and 「X広域…圏」 -> X."""
    return os.path.commonprefix([area_name, hub_name]).strip()


def area_facts(folder: Path) -> list[Fact]:
    """The facts that name an area: member codes and names, KPI ids, the area and vision."""
    area = load_area(folder)
    facts = []
    for m in area.members:
        facts += [_fact(m.code, f"member code ({m.name_en})"),
                  _fact(m.lg_code, f"6-digit member code ({m.name_en})"),
                  _fact(m.name_ja, "member name"), _fact(m.name_en, "member name")]
    facts += [_fact(k.id, "KPI id") for k in area.kpis]
    facts += [_fact(text, "area name") for text in (area.name_ja, area.name_en)]
    places = (_place_name(area.name_ja, area.hub.name_ja), _place_name(area.name_en, area.hub.name_en))
    facts += [_fact(text, "place name of the area") for text in places if len(text) >= 2]
    facts += [_fact(text, "vision name")
              for text in (area.vision_name_ja, area.vision_name_en) if text]
    return facts


def code_files(repo: Path, excluded: Path) -> list[Path]:
    """The code files under the scanned roots, minus one area's folder (with its samples)."""
    files = [repo / name for name in SCANNED_FILES if (repo / name).is_file()]
    for root in SCANNED_ROOTS:
        for path in sorted((repo / root).rglob("*")):
            rel = path.relative_to(repo)
            if (not path.is_file() or SKIPPED_DIRS.intersection(rel.parts)
                    or path.is_relative_to(excluded)):
                continue
            if path.suffix in CODE_SUFFIXES or path.name in CODE_NAMES:
                files.append(path)
    return files


def find_facts(files: list[Path], facts: list[Fact], repo: Path) -> list[str]:
    """``file:line: fact (what)`` for every occurrence of a fact."""
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for lineno, line in enumerate(text.splitlines(), start=1):
            for fact in facts:
                if fact.pattern.search(line):
                    found.append(f"{path.relative_to(repo)}:{lineno}: {fact.text} ({fact.what})")
    return found


def test_facts_come_from_the_kurume_area():
    """The scan is only as good as its facts: every member, every KPI, the names."""
    area = load_area(KURUME)
    texts = {f.text for f in area_facts(KURUME)}
    assert set(area.member_codes) <= texts
    assert {m.name_ja for m in area.members} <= texts
    assert {k.id for k in area.kpis} <= texts
    assert {area.name_ja, area.name_en} <= texts
    place_ja, place_en = (_place_name(area.name_ja, area.hub.name_ja),
                          _place_name(area.name_en, area.hub.name_en))
    assert place_ja in texts and place_en in texts
    assert area.name_ja.startswith(place_ja) and area.hub.name_ja.startswith(place_ja)
    assert len(area.members) > 1 and len(area.kpis) > 1


def test_no_kurume_fact_in_code_outside_its_folder():
    found = find_facts(code_files(REPO, KURUME), area_facts(KURUME), REPO)
    assert not found, ("Kurume facts in code outside sources/areas/kurume/ "
                       f"({len(found)}); derive them from the area:\n" + "\n".join(found))


def test_the_scan_finds_a_planted_fact(tmp_path):
    """A planted member code, member name and KPI id are found; the area's own folder and
    Markdown are not scanned; a code inside a longer number is not a code."""
    area = load_area(KURUME)
    member, kpi = area.members[1], area.kpis[0]
    place_en = _place_name(area.name_en, area.hub.name_en)
    (tmp_path / "orchestration" / "intake").mkdir(parents=True)
    (tmp_path / "dbt_project" / "target").mkdir(parents=True)
    (tmp_path / "sources" / "areas" / "kurume" / "samples").mkdir(parents=True)
    planted = tmp_path / "orchestration" / "intake" / "example.py"
    planted.write_text(f'"""Example."""\n# e.g. {member.name_ja}\nCODE = "{member.code}"\n'
                       f"LONGER = 9{member.code}9\nKPI = '{kpi.id}_total'\n"
                       f"# {place_en}'s survey; {place_en}DbtTranslator, {place_en.lower()}_hub\n",
                       encoding="utf-8")
    (tmp_path / "dbt_project" / "target" / "compiled.sql").write_text(member.code)
    (tmp_path / "sources" / "areas" / "kurume" / "samples" / "x.yaml").write_text(member.code)
    (tmp_path / "sources" / "README.md").write_text(member.code)
    (tmp_path / "Makefile").write_text(f"demo:\n\techo {member.name_en}\n")

    files = code_files(tmp_path, tmp_path / "sources" / "areas" / "kurume")
    found = find_facts(files, area_facts(KURUME), tmp_path)

    assert sorted(found) == sorted([
        f"Makefile:2: {member.name_en} (member name)",
        f"orchestration/intake/example.py:2: {member.name_ja} (member name)",
        f"orchestration/intake/example.py:3: {member.code} (member code ({member.name_en}))",
        f"orchestration/intake/example.py:5: {kpi.id} (KPI id)",
        f"orchestration/intake/example.py:6: {place_en} (place name of the area)",
    ])


def test_a_code_is_a_whole_number():
    code = load_area(KURUME).hub.code
    pattern = _fact(code, "member code").pattern
    assert pattern.search(f"x = {code}")
    assert pattern.search(f"「{code}」")
    assert not pattern.search(f"{code}6")
    assert not pattern.search(f"1{code}")


def test_who_submits_a_dataset_is_read_from_the_areas_kpis():
    """A contract names no member: the members a dataset's KPIs read are its submitters."""
    area = load_area(KURUME)
    contracts = load_contracts()
    narrowed = {k.dataset: k.members for k in area.kpis if set(k.members) < set(area.member_codes)}
    assert narrowed, "Kurume has a KPI read from some members only (its pedestrian survey)"
    for dataset, members in narrowed.items():
        assert area.dataset_submitters(dataset) == members
        assert contracts[dataset].submitters == members
    for dataset in set(area.datasets) - set(narrowed):
        assert area.dataset_submitters(dataset) == ()


def test_a_contract_naming_its_submitters_is_refused(tmp_path):

    raw = yaml.safe_load((CONTRACTS_DIR / "pedestrian_counts.yaml").read_text(encoding="utf-8"))
    raw["submitters"] = [load_area(KURUME).hub.code]
    (tmp_path / "pedestrian_counts.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True),
                                                      encoding="utf-8")
    with pytest.raises(ValueError, match="submitters belong in the area"):
        load_contracts(tmp_path)
