"""The corpus of bad files (tests/fixtures/bad): each one is refused, for its own reason,
through the real command line, and none of them touches data already accepted."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.conftest import run_cli
from tests.fixtures.make_bad_corpus import BAD_DIR, MANIFEST, read_manifest, write_corpus

CORPUS = read_manifest()
# Cases the platform must refuse, and bad inputs it now reads right (a hidden stale sheet
# ignored with a warning, a double BOM ...): those are checked with validate, which records
# nothing, so the ledger below holds exactly the refused ones.
REFUSED = [row for row in CORPUS if row["expect"] == "refused"]
HANDLED = [row for row in CORPUS if row["expect"] != "refused"]


def _submit(path: Path, row: dict[str, str], home: Path, *extra: str):
    args = ["submit", str(path), "--municipality", row["municipality"], "--json", *extra]
    if row["dataset"]:
        args += ["--dataset", row["dataset"]]
    return run_cli(*args, *row["args"].split(), home=home)


def _good_tourism(path: Path) -> Path:
    """What a member really sends: a workbook saved by Excel-like software (openpyxl)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "データ"
    ws.append(["年", "観光入込客数（人）", "備考"])
    ws.append([2022, 1_036_000, ""])
    ws.append([2023, "1,102千人", "R5 確定値"])
    wb.save(path)
    return path


def _accepted_state(home: Path) -> tuple[dict[str, bytes], list[str]]:
    records = home / "submissions" / "records"
    files = {p.name: p.read_bytes() for p in sorted(records.iterdir())} if records.exists() else {}
    ledger = (home / "submissions" / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
    return files, [line for line in ledger if json.loads(line)["outcome"] == "accepted"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_corpus_has_at_least_30_distinct_files_each_listed_once():
    on_disk = {p.name for p in BAD_DIR.iterdir() if p.name != MANIFEST}
    listed = [row["file"] for row in CORPUS]
    assert len(listed) >= 30
    assert {row["expect"] for row in CORPUS} <= {"refused", "warning", "info", "accepted"}
    assert sorted(listed) == sorted(on_disk)
    # The ledger recognises a resubmission by (hash, member, dataset): every case must be new.
    keys = {(_sha256(BAD_DIR / r["file"]), r["municipality"], r["dataset"]) for r in CORPUS}
    assert len(keys) == len(CORPUS)
    assert sum((BAD_DIR / name).stat().st_size for name in on_disk) < 2_000_000


def _zip_members(data: bytes) -> list[tuple[str, int, int]] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [(i.filename, i.CRC, i.file_size) for i in archive.infolist()]
    except zipfile.BadZipFile:
        return None


def test_generator_reproduces_the_committed_corpus(tmp_path: Path):
    write_corpus(tmp_path)
    assert (tmp_path / MANIFEST).read_bytes() == (BAD_DIR / MANIFEST).read_bytes()
    for row in CORPUS:
        fresh, committed = (tmp_path / row["file"]).read_bytes(), (BAD_DIR / row["file"]).read_bytes()
        if fresh == committed:
            continue
        # Deflate output may differ between zlib builds; what the zip holds may not.
        assert committed.startswith(b"PK"), row["file"]
        members = _zip_members(committed)
        if members is None:  # the truncated workbook: half of a deflated zip
            assert abs(len(fresh) - len(committed)) < len(committed) // 10, row["file"]
        else:
            assert _zip_members(fresh) == members, row["file"]


def test_every_bad_file_is_rejected_with_its_own_message_and_accepted_data_is_untouched(
        tmp_path: Path):
    home = tmp_path / "home"
    good = _good_tourism(tmp_path / "ogori_tourism.xlsx")
    first = run_cli("submit", str(good), "--municipality", "40216", home=home)
    assert first.returncode == 0, first.stdout + first.stderr
    records_before, accepted_before = _accepted_state(home)
    assert len(records_before) == 1 and len(accepted_before) == 1

    failures = []
    for row in REFUSED:
        result = _submit(BAD_DIR / row["file"], row, home)
        if result.returncode != 1 or result.stderr.strip():
            failures.append(f"{row['file']}: exit {result.returncode}\n{result.stdout}"
                            f"{result.stderr}")
            continue
        report = json.loads(result.stdout)
        matches = [p for p in report["problems"] if p["severity"] == "error"
                   and p["code"] == row["code"] and row["message_ja"] in p["message"]]
        if report["accepted"] or not matches:
            failures.append(f"{row['file']}: expected {row['code']} 「{row['message_ja']}」, got "
                            + json.dumps(report["problems"], ensure_ascii=False))
            continue
        problem = matches[0]
        for key in ("sheet", "row", "column", "raw"):
            if row[key] and str(problem[key]) != row[key]:
                failures.append(f"{row['file']}: {key} {problem[key]!r} != {row[key]!r}")
    assert not failures, "\n\n".join(failures)

    listing = run_cli("submissions", "--json", home=home, check=True)
    entries = json.loads(listing.stdout)
    rejected = {e["original_name"] for e in entries if e["outcome"] == "rejected"}
    assert rejected == {row["file"] for row in REFUSED}
    assert len(entries) == 1 + len(REFUSED)
    assert all(e["rows_accepted"] == 0 and e["errors"] >= 1 for e in entries
               if e["outcome"] == "rejected")
    assert _accepted_state(home) == (records_before, accepted_before)


@pytest.mark.parametrize("row", HANDLED, ids=lambda row: row["file"])
def test_bad_inputs_now_read_right_say_what_they_found(row: dict[str, str]):
    """Hidden stale sheets, links, cover sheets, a double BOM: accepted, and the report says
    what was skipped or where a value came from (accepted: nothing to say at all)."""
    args = ["validate", str(BAD_DIR / row["file"]), "--municipality", row["municipality"],
            "--json"] + (["--dataset", row["dataset"]] if row["dataset"] else [])
    result = run_cli(*args)

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["accepted"] and report["rows_accepted"] >= 1
    if row["expect"] == "accepted":
        assert [p for p in report["problems"] if p["severity"] != "info"] == []
        return
    matches = [p for p in report["problems"] if p["severity"] == row["expect"]
               and p["code"] == row["code"] and row["message_ja"] in p["message"]]
    assert matches, json.dumps(report["problems"], ensure_ascii=False)
    for key in ("sheet", "row", "column", "raw"):
        if row[key]:
            assert str(matches[0][key]) == row[key], key


def test_the_same_bad_file_twice_is_recognised_and_not_recorded_again(tmp_path: Path):
    home = tmp_path / "home"
    row = next(r for r in CORPUS if r["file"] == "not_a_number.xlsx")
    first = _submit(BAD_DIR / row["file"], row, home)
    ledger_before = (home / "submissions" / "ledger.jsonl").read_bytes()

    again = _submit(BAD_DIR / row["file"], row, home)

    assert first.returncode == again.returncode == 1
    assert json.loads(again.stdout) == {"duplicate_of": json.loads(first.stdout)["submission_id"],
                                        "outcome": "rejected", "accepted": False}
    assert (home / "submissions" / "ledger.jsonl").read_bytes() == ledger_before


def test_file_names_never_become_paths_stored_copies_are_named_by_hash(tmp_path: Path):
    outside = tmp_path / "outside"
    (outside / "a" / "b").mkdir(parents=True)
    (outside / "etc").mkdir()
    source = (BAD_DIR / "negative_count.csv").read_bytes()
    traversal = outside / "etc" / "x.csv"
    traversal.write_bytes(source)
    odd = outside / "..\\..\\計画 $(rm -rf ~); `x`\t\u202egnp.csv"
    odd.write_bytes(source + b"\r\n")
    home = tmp_path / "home"
    before = sorted(p.relative_to(outside) for p in outside.rglob("*"))

    for path, name in ((f"{outside}/a/b/../../etc/x.csv", "x.csv"),
                       # U+202E (right-to-left override) is dropped from the recorded name
                       (str(odd), "計画 $(rm -rf ~); `x`gnp.csv")):
        result = run_cli("submit", path, "--municipality", "40216", "--json", home=home)
        assert result.returncode == 1, result.stdout + result.stderr
        entry = json.loads(run_cli("submissions", "--json", home=home, check=True).stdout)[-1]
        stored = (home / entry["stored_path"]).resolve()
        assert stored.is_relative_to((home / "submissions" / "files").resolve())
        assert stored.name == f"{entry['sha256']}.csv" and stored.parent.name == entry["sha256"][:2]
        assert entry["original_name"] == name
        assert "/" not in entry["original_name"] and "\\" not in entry["original_name"]

    assert sorted(p.relative_to(outside) for p in outside.rglob("*")) == before
    written = [p for p in tmp_path.rglob("*") if not p.is_relative_to(home)
               and not p.is_relative_to(outside)]
    assert written == []


def test_formula_like_text_in_a_note_is_accepted_kept_as_text_and_flagged(tmp_path: Path):
    note = '=HYPERLINK("http://example.invalid","詳細")'
    path = tmp_path / "note.csv"
    path.write_text(f'年,観光入込客数（人）,備考\r\n2023,812000,"{note.replace(chr(34), 2 * chr(34))}"\r\n'
                    "2024,830000,@cmd\r\n", encoding="utf-8-sig")
    home = tmp_path / "home"

    result = run_cli("submit", str(path), "--municipality", "40216", "--json", home=home)

    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    flagged = [(p["row"], p["raw"]) for p in report["problems"] if p["code"] == "formula_like_text"]
    assert flagged == [(2, note), (3, "@cmd")]
    assert all(p["severity"] == "warning" for p in report["problems"]
               if p["code"] == "formula_like_text")
    (records,) = (home / "submissions" / "records").iterdir()
    notes = [r["note"] for r in json.loads(records.read_text(encoding="utf-8"))]
    assert notes == [note, "@cmd"]


def test_default_size_limit_is_20_mb(tmp_path: Path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.write("年,観光入込客数（人）,備考\r\n".encode())
        fh.truncate(20 * 1024 * 1024 + 1)

    result = run_cli("validate", str(path), "--municipality", "40216", "--json")

    assert result.returncode == 1
    (problem,) = json.loads(result.stdout)["problems"]
    assert problem["code"] == "file_too_large" and "20,971,520" in problem["message"]


@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig", "utf-8"])
def test_japanese_csv_in_cp932_or_utf8_is_accepted(tmp_path: Path, encoding: str):
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes("年,観光入込客数（人）,備考\r\nR5年,812000,速報値ではない ｶﾅ\r\n"
                     .encode(encoding))
    result = run_cli("validate", str(path), "--municipality", "40216", "--json")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["rows_accepted"] == 1


def test_validate_never_writes_outside_a_missing_home(tmp_path: Path):
    row = next(r for r in CORPUS if r["file"] == "zip_bomb_ratio.xlsx")
    env_home = tmp_path / "nohome"
    result = run_cli("validate", str(BAD_DIR / row["file"]), "--municipality", "40216",
                     home=env_home)
    assert result.returncode == 1 and "展開後のサイズが異常に大きい" in result.stdout
    assert not any(tmp_path.iterdir())


def test_only_real_unit_conversions_are_reported(tmp_path: Path):
    """Ten thousand '550 → 550 人' notes would bury the errors that matter."""
    path = tmp_path / "units.csv"
    path.write_text("年,観光入込客数（人）,備考\r\n2022,790000,\r\n2023,812千人,\r\n",
                    encoding="utf-8")
    result = run_cli("validate", str(path), "--municipality", "40216", "--json")
    assert result.returncode == 0, result.stdout
    notes = [(p["row"], p["code"]) for p in json.loads(result.stdout)["problems"]]
    assert notes == [(3, "unit_converted")]
