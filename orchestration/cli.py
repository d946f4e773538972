"""``kurume-hub``: the command line of the platform.

Heavy libraries load only in the commands that need them: ``validate`` and ``submit``
never import dagster, dbt or Great Expectations.
Exit codes: 0 ok/accepted/published, 1 rejected or failed, 2 usage error, 3 gate blocked.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import shutil
import sys
import threading
from pathlib import Path
from typing import NoReturn

from orchestration.home import DAGSTER_PASSWORD_ENV, HOME_ENV, Home, postgres_dagster_yaml
from orchestration.intake.messages import VAGUE_REASON, Msg, vague_reason

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BLOCKED = 0, 1, 2, 3
# Bundled sample submissions live beside an area's definition (only some areas have them).
SAMPLES_FOLDER = "samples"


class UsageError(Exception):
    def __init__(self, msg: Msg):
        super().__init__(msg.en)
        self.msg = msg


def say(lang: str, ja: str, en: str, stream=None) -> None:
    print(en if lang == "en" else ja, file=stream or sys.stdout, flush=True)
    # Both languages for a program that launched this command (the portal's console).
    from orchestration import build_events

    build_events.emit("say", ja=ja, en=en, error=stream is sys.stderr)



def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--home", help=f"platform home (default: ${HOME_ENV} or ./.kurume-hub)")
    parser.add_argument("--lang", choices=("ja", "en"), default="ja",
                        help="message language (default: ja)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kurume-hub",
        description="連携中枢都市圏 KPI 基盤 / KPI platform for a regional hub city area")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="create a home / ホームを作成")
    _common(p)
    p.add_argument("--area", type=Path,
                   help="area folder or its area.yaml (default: the home's area, else the "
                        "default area) / 地域の定義フォルダまたは area.yaml")
    data = p.add_mutually_exclusive_group()
    data.add_argument("--sample", action="store_true",
                      help="load the area's bundled sample submissions / 同梱のサンプルを提出")
    data.add_argument("--synthetic", action="store_true",
                      help="generate and submit synthetic data for every member / "
                           "全構成団体の合成データを生成して提出")
    p.add_argument("--warehouse", metavar="URL",
                   help="keep the warehouse in PostgreSQL (postgresql://user@host:port/dbname; "
                        "password in KURUME_HUB_PG_PASSWORD) instead of warehouse.duckdb / "
                        "倉庫を DuckDB ファイルではなく PostgreSQL に置く")
    p.add_argument("--dagster-db", metavar="URL",
                   help="keep Dagster's runs and events in PostgreSQL "
                        "(postgresql://user@host:port/dbname; password in "
                        f"{DAGSTER_PASSWORD_ENV}) instead of SQLite files in the home / "
                        "Dagster の実行記録を PostgreSQL に置く")
    p.add_argument("--members", type=int, metavar="N",
                   help="with --synthetic: generate a made-up national-style area of N members "
                        "(scale tests) instead of --area / --synthetic と併用: N 団体の架空の"
                        "全国規模の圏域を生成（規模の検証用）")

    for name in ("submit", "validate"):
        p = sub.add_parser(name, help=f"{name} a member's file")
        _common(p)
        p.add_argument("file", type=Path)
        p.add_argument("--municipality", required=True, help="5-digit member code / 5桁の団体コード")
        p.add_argument("--dataset", help="dataset name (detected from the headers if omitted)")
        p.add_argument("--json", action="store_true", help="machine-readable report")
        p.add_argument("--max-bytes", type=int, default=None, help="size limit (default 20 MB)")
        if name == "submit":
            p.add_argument("--submitter", help="who submits (default: the OS user)")

    p = sub.add_parser("build", help="run the whole pipeline / パイプライン全体を実行")
    _common(p)
    p.add_argument("--rebuild-warehouse", action="store_true",
                   help="set warehouse.duckdb aside and rebuild it from the ledger / "
                        "倉庫ファイルを提出台帳から作り直す")

    p = sub.add_parser("demo", help="init --sample + build")
    _common(p)
    p.add_argument("--fresh", action="store_true",
                   help="delete the home first (start from the samples only) / ホームを作り直す")

    p = sub.add_parser("template", help="write a blank template / 様式を出力")
    _common(p)
    p.add_argument("dataset")
    p.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    p.add_argument("--municipality", help="pre-fill the member")
    p.add_argument("--output", type=Path, help="file to write (default: <home>/templates/)")

    p = sub.add_parser("acknowledge", help="confirm a suspicious change is true / 大きな変化を確認済みにする")
    _common(p)
    p.add_argument("--kpi", required=True, help="KPI id (see the area's area.yaml) / KPI の id")
    p.add_argument("--municipality", required=True, help="5-digit member code")
    p.add_argument("--period", required=True, help="period, e.g. CY2024 or FY2023")
    p.add_argument("--reason", required=True, help="why the change is true / 理由")
    p.add_argument("--by", help="who confirms (default: the OS user)")

    p = sub.add_parser("releases", help="list releases / 公開版の一覧")
    _common(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("approve", help="publish a release waiting for approval / 承認して公開")
    _common(p)
    p.add_argument("release_id")
    p.add_argument("--by", help="who approves (default: the OS user)")

    p = sub.add_parser("reject", help="turn down a release waiting for approval / 差し戻す")
    _common(p)
    p.add_argument("release_id")
    p.add_argument("--reason", required=True, help="why / 理由")
    p.add_argument("--by", help="who rejects (default: the OS user)")

    p = sub.add_parser("rollback", help="point releases/latest at an earlier release / 公開版を戻す")
    _common(p)
    p.add_argument("release_id")
    p.add_argument("--reason", help="why (recorded with who and when) / 理由")
    p.add_argument("--by", help="who rolls back (default: the OS user)")

    p = sub.add_parser("serve", help="serve the members' portal / 提出ポータルを起動")
    _common(p)
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: put a reverse proxy with "
                        "HTTPS in front, see README)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--demo-accounts", action="store_true",
                   help="create demo accounts (one per member + secretariat, *.invalid "
                        "addresses) with new passwords and print them / デモ用アカウント")

    p = sub.add_parser("users", help="portal accounts / ポータルのアカウント")
    users = p.add_subparsers(dest="users_command", required=True)
    u = users.add_parser("add", help="create an account / アカウント作成")
    _common(u)
    u.add_argument("email")
    who = u.add_mutually_exclusive_group(required=True)
    who.add_argument("--municipality", help="member account for this 5-digit code")
    who.add_argument("--role", choices=("secretariat",), help="secretariat account")
    u.add_argument("--password-stdin", action="store_true",
                   help="read the password from stdin (default: generate and print one)")
    u = users.add_parser("list", help="list accounts / 一覧")
    _common(u)
    u.add_argument("--json", action="store_true")
    for name, text in (("disable", "disable an account (ends its sessions and tokens)"),
                       ("enable", "enable an account again"),
                       ("token", "issue an API token (printed once)"),
                       ("password", "set a new password (generated unless --password-stdin)")):
        u = users.add_parser(name, help=text)
        _common(u)
        u.add_argument("email")
        if name == "password":
            u.add_argument("--password-stdin", action="store_true")

    p = sub.add_parser("submissions", help="list the submission ledger / 提出台帳")
    _common(p)
    p.add_argument("--municipality")
    p.add_argument("--dataset")
    p.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    home = Home.resolve(args.home)
    # Every command reads the area of this home (orchestration.area.active_area): the
    # members a submission may name, the KPIs a build computes, the texts of the pages.
    os.environ[HOME_ENV] = str(home.root)
    handler = COMMANDS[args.command]
    try:
        return handler(args, home)
    except UsageError as exc:
        say(args.lang, f"エラー: {exc.msg.ja}", f"error: {exc.msg.en}", sys.stderr)
        return EXIT_USAGE


# ---------------------------------------------------------------- init / demo


def cmd_init(args, home: Home) -> int:
    if args.members is not None:
        return _init_synthetic_area(args, home)
    return _init(args, home, args.area)


def _init(args, home: Home, location: Path | None) -> int:
    # Settings are checked before anything is written: a refused URL leaves no empty home.
    warehouse_url = _checked_warehouse(home, getattr(args, "warehouse", None))
    dagster_yaml = _checked_dagster_db(getattr(args, "dagster_db", None))
    area = _use_area(home, location)
    if args.sample:
        _samples_dir(home)  # an area without samples: say so before anything is created
    home.create()
    if warehouse_url:
        _record_warehouse(home, warehouse_url, args.lang)
    if dagster_yaml:
        (home.dagster_home / "dagster.yaml").write_text(dagster_yaml, encoding="utf-8")
        say(args.lang, "Dagster の実行記録は PostgreSQL に置きます（dagster/dagster.yaml）。",
            "Dagster's runs and events: PostgreSQL (dagster/dagster.yaml).")
    say(args.lang, f"ホームを作成しました: {home.root}（{area.name_ja}）",
        f"Home ready: {home.root} ({area.name_en})")
    if args.sample:
        return load_samples(home, args.lang)
    if args.synthetic:
        return load_synthetic(home, args.lang)
    return EXIT_OK


def _checked_warehouse(home: Home, url: str | None) -> str | None:
    """``init --warehouse URL`` read as the build will read it (None: the DuckDB file)."""
    if not url:
        return None
    from orchestration.warehouse import WarehouseConfigError, spec_for_url

    try:
        spec = spec_for_url(home, url)
    except WarehouseConfigError as exc:
        raise UsageError(Msg(exc.ja, exc.en)) from exc
    return spec.url


def _checked_dagster_db(url: str | None) -> str | None:
    """``init --dagster-db URL``: the home's dagster.yaml with its storage on PostgreSQL.
    The password stays out of the file: Dagster reads it from DAGSTER_PASSWORD_ENV."""
    if not url:
        return None
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url.strip())
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname \
            or not parts.path.strip("/"):
        raise UsageError(Msg(
            f"--dagster-db には postgresql://ユーザー@ホスト:ポート/データベース名 の形で書いて"
            f"ください（指定: {parts.scheme or url[:20]}…）。",
            "--dagster-db takes postgresql://user@host:port/dbname "
            f"(given: {parts.scheme or url[:20]}…)."))
    if parts.password:
        raise UsageError(Msg(
            f"パスワードは URL に書かず、環境変数 {DAGSTER_PASSWORD_ENV} に入れてください"
            "（dagster.yaml に残さないため）。",
            f"Keep the password out of the URL: set {DAGSTER_PASSWORD_ENV} instead (so that "
            "dagster.yaml does not hold it)."))
    password_env = DAGSTER_PASSWORD_ENV if os.environ.get(DAGSTER_PASSWORD_ENV) else None
    return postgres_dagster_yaml(parts.hostname, parts.port or 5432,
                                 unquote(parts.path.strip("/")),
                                 unquote(parts.username or "postgres"), password_env)


def _record_warehouse(home: Home, url: str, lang: str) -> None:
    """``init --warehouse URL``: the home's warehouse is that PostgreSQL database
    (orchestration/warehouse.py); without it, warehouse.duckdb in the home."""
    from orchestration.warehouse import write_warehouse_config

    path = write_warehouse_config(home, url)  # checked by _checked_warehouse
    say(lang, f"倉庫は PostgreSQL です: {path.name} に記録しました。",
        f"Warehouse: PostgreSQL, recorded in {path.name}.")


def _init_synthetic_area(args, home: Home) -> int:
    """``init --synthetic --members N``: a generated area of N members (issue 16's scale
    benchmark), recorded in the home like any ``--area``, then filled with synthetic data."""
    import tempfile

    from orchestration.synthetic_area import MemberCountError, check_member_count, write_area

    if not args.synthetic or args.area is not None:
        raise UsageError(Msg(
            "--members は --synthetic と一緒に指定し、--area とは併用できません。",
            "--members goes with --synthetic and cannot be combined with --area."))
    try:
        check_member_count(args.members)
    except MemberCountError as exc:
        raise UsageError(Msg(exc.ja, exc.en)) from exc
    # Written outside the home only for the moment of recording: the home keeps its copy
    # (<home>/area/), as for any other area.
    with tempfile.TemporaryDirectory(prefix="kurume-hub-area-") as tmp:
        folder = write_area(args.members, Path(tmp) / "area")
        return _init(args, home, folder)


def _use_area(home: Home, location: Path | None):
    """Record the area in the home (``--area``, else the area the home has, else the default)
    and make it the area of this process. A home keeps one area: submissions of two areas
    in one ledger and warehouse would mix members and KPIs, so another area is refused."""
    from orchestration.area import (
        DEFAULT_AREA_DIR,
        AreaError,
        area_dir_for,
        home_area_dir,
        load_area,
        record_area,
    )

    try:
        current = _home_area_id(home)
        area = load_area(location or (area_dir_for(home) if current else DEFAULT_AREA_DIR))
    except AreaError as exc:
        raise UsageError(Msg(exc.ja, exc.en)) from exc
    if current is not None and current != area.id:
        raise UsageError(Msg(
            f"このホーム（{home.root}）は地域「{current}」のものです。地域「{area.id}」には別の"
            "ホームを指定してください（--home）。1つのホームに2つの地域のデータは混在できません。",
            f"The home {home.root} belongs to the area '{current}'; use another home (--home) "
            f"for the area '{area.id}'. One home never mixes the data of two areas."))
    if location is not None or not (home_area_dir(home) / "area.yaml").is_file():
        area = record_area(home, area.folder)
    return area


def _home_area_id(home: Home) -> str | None:
    """The area a home holds data for: the recorded one; for a home made before areas were
    recorded, the default area once it has submissions; None for a new, empty home."""
    from orchestration.area import DEFAULT_AREA_DIR, home_area_dir, load_area

    recorded = home_area_dir(home) / "area.yaml"
    if recorded.is_file():
        return load_area(recorded).id
    if home.ledger.is_file() and home.ledger.stat().st_size > 0:
        return load_area(DEFAULT_AREA_DIR).id
    return None


def _samples_dir(home: Home) -> Path:
    from orchestration.area import area_for, area_source_dir

    folder = area_source_dir(home) / SAMPLES_FOLDER
    if not folder.is_dir():
        area = area_for(home)
        raise UsageError(Msg(
            f"地域「{area.name_ja}」には同梱のサンプル提出がありません（{folder}）。"
            "合成データを使うには --synthetic を指定してください。",
            f"The area '{area.name_en}' has no bundled sample submissions ({folder}); "
            "use --synthetic for generated data."))
    return folder


def load_samples(home: Home, lang: str) -> int:
    """Submit every bundled sample file of the home's area through the real intake path."""
    folder = _samples_dir(home)
    files = [(p.parent.name, p, None)
             for p in sorted(folder.rglob("*")) if p.suffix in (".xlsx", ".csv")]
    code = _submit_all(home, lang, files, "sample-data", ("サンプル提出", "sample submissions"))
    _load_sample_acknowledgements(home, lang, folder)
    return code


def load_synthetic(home: Home, lang: str) -> int:
    """Generate plausible submissions for every member of the home's area (deterministic:
    the same area gives the same files) and submit them through the real intake path."""
    import tempfile

    from orchestration.area import AreaError, area_for
    from orchestration.synthetic import SUBMITTER, write_files

    area = area_for(home)
    with tempfile.TemporaryDirectory(prefix="kurume-hub-synthetic-") as tmp:
        try:
            files = [(member, path, dataset)
                     for member, dataset, path in write_files(area, Path(tmp))]
        except AreaError as exc:
            raise UsageError(Msg(exc.ja, exc.en)) from exc
        return _submit_all(home, lang, files, SUBMITTER, ("合成データの提出", "synthetic submissions"))


def _submit_all(home: Home, lang: str, files: list[tuple[str, Path, str | None]],
                submitter: str, label: tuple[str, str]) -> int:
    """Submit (member, file, dataset) through the intake, one summary line per member."""
    import hashlib

    from orchestration.intake.contracts import member_label
    from orchestration.intake.ledger import Ledger
    from orchestration.intake.submissions import submit_file

    # A file the home ever received is not sent again: re-sending an earlier file restores
    # it, which would undo what was submitted since (a home re-used by `demo` or `init`).
    received = {(e.municipality, e.sha256) for e in Ledger(home).entries()}
    rejected = known = 0
    by_member: dict[str, list[tuple[Path, str | None]]] = {}
    for member, path, dataset in files:
        by_member.setdefault(member, []).append((path, dataset))
    for municipality, own in by_member.items():
        counts = {"new": 0, "known": 0}
        refused = []
        for path, dataset in own:
            if (municipality, hashlib.sha256(path.read_bytes()).hexdigest()) in received:
                counts["known"] += 1
                continue
            result = submit_file(home, path, municipality, dataset, submitter=submitter)
            if result.accepted:
                counts["new"] += 1
            else:
                refused.append(path.name)
        rejected += len(refused)
        known += counts["known"]
        ja, en = member_label(municipality)
        say(lang, f"  {ja}: 受付 {counts['new']} 件"
                  + (f"、登録済み {counts['known']} 件" if counts["known"] else "")
                  + (f"、却下 {len(refused)} 件: {', '.join(refused)}" if refused else ""),
            f"  {en}: {counts['new']} accepted"
            + (f", {counts['known']} received before" if counts["known"] else "")
            + (f", {len(refused)} REJECTED: {', '.join(refused)}" if refused else ""))
    say(lang, f"{label[0]} {len(files)} 件: 受付 {len(files) - known - rejected} 件、"
              f"登録済み {known} 件、却下 {rejected} 件。",
        f"{len(files)} {label[1]}: {len(files) - known - rejected} accepted, "
        f"{known} received before, {rejected} rejected.")
    return EXIT_FAILED if rejected else EXIT_OK


def _load_sample_acknowledgements(home: Home, lang: str, folder: Path) -> None:
    import yaml

    from orchestration.quality import acknowledgements

    path = folder / "acknowledgements.yaml"
    known = acknowledgements.acknowledged_keys(home)
    for item in yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else []:
        key = (item["kpi_id"], item["municipality_code"], item["period"])
        if key not in known:
            acknowledgements.add(home, *key, item["reason"], who="sample-data")
            say(lang, f"  確認済みの変化: {' '.join(key)}", f"  acknowledged: {' '.join(key)}")


def cmd_demo(args, home: Home) -> int:
    if args.fresh and home.root.exists():
        _remove_home(home)
        say(args.lang, f"既存のホームを削除しました: {home.root}", f"Removed the home {home.root}")
    if home.exists() and any(home.submissions.iterdir()):
        say(args.lang, f"既存のホームを使います（登録済みのサンプルは送り直しません。"
                       f"最初からやり直すには --fresh）: {home.root}",
            f"Using existing home {home.root} (samples received before are not sent again; "
            "--fresh starts over)")
    _use_area(home, None)
    home.create()
    code = load_samples(home, args.lang)
    if code != EXIT_OK:
        return code
    code = cmd_build(args, home)
    if code == EXIT_OK:
        say(args.lang, f"ダッシュボード: {home.site / 'index.html'}",
            f"Dashboard: {home.site / 'index.html'}")
    return code


def _remove_home(home: Home) -> None:
    """--fresh deletes a platform home only: never a folder someone pointed --home at by
    mistake (their own files would go)."""
    if any(home.root.iterdir()) and not (home.exists() and home.ledger.exists()):
        raise UsageError(Msg(
            f"{home.root} は kurume-hub のホームではないため削除しません（submissions/ がありません）",
            f"{home.root} is not a kurume-hub home (no submissions/); not deleting it"))
    shutil.rmtree(home.root)


# ------------------------------------------------------------ submit / validate


def _require_file(path: Path) -> None:
    """Exit 2 before anything is read or recorded unless ``path`` is a regular file itself
    (the intake's own rule: a link, FIFO, device or folder is refused, never followed)."""
    from orchestration.intake.messages import IntakeError
    from orchestration.intake.readers import check_regular_file

    try:
        check_regular_file(path)
    except IntakeError as exc:
        raise UsageError(exc.msg) from exc


def cmd_validate(args, home: Home) -> int:
    _import_openpyxl_without_numpy()
    from orchestration.intake.submissions import check_file

    _require_file(args.file)
    _require_known_dataset(args.dataset)
    report = check_file(home if home.exists() else None, args.file, args.municipality,
                        args.dataset, **_limits(args))
    print_report(report, args, submission=None, checked_only=True)
    return EXIT_OK if report.accepted else EXIT_FAILED


def _import_openpyxl_without_numpy() -> None:
    """openpyxl imports numpy when it is installed, only to accept numpy numbers as cell
    values when writing. ``validate`` only reads, in a process of its own, and numpy's import
    is a sixth of its time (issue 15): hide numpy while openpyxl loads, then unhide it."""
    if "openpyxl" in sys.modules or "numpy" in sys.modules:
        return
    sys.modules["numpy"] = None  # type: ignore[assignment]  # ``import numpy`` fails
    try:
        import openpyxl  # noqa: F401
    finally:
        del sys.modules["numpy"]


def cmd_submit(args, home: Home) -> int:
    from orchestration.intake.submissions import submit_file

    _require_file(args.file)
    _require_known_dataset(args.dataset)
    limits = _limits(args)
    home.create()
    result = submit_file(home, args.file, args.municipality, args.dataset,
                         submitter=args.submitter, **limits)
    if result.duplicate_of is not None:
        if args.json:
            print(json.dumps({"duplicate_of": result.duplicate_of.submission_id,
                              "outcome": result.duplicate_of.outcome,
                              "accepted": result.accepted}, ensure_ascii=False))
        else:
            if not result.accepted:
                print_report(result.report, args, submission=None)
            msg = duplicate_message(result.duplicate_of, result.accepted)
            say(args.lang, msg.ja, msg.en)
        return EXIT_OK if result.accepted else EXIT_FAILED
    print_report(result.report, args, submission=result.entry)
    if result.restored and not args.json:
        msg = restore_message(result.entry)
        say(args.lang, msg.ja, msg.en)
    return EXIT_OK if result.accepted else EXIT_FAILED


def duplicate_message(dup, accepted: bool) -> Msg:
    """Nothing was recorded: the file is already the current one, or was refused before."""
    if dup.outcome == "accepted":
        return Msg(f"このファイルは現在の提出内容（{dup.received_at} 受信、提出ID {dup.submission_id}）と"
                   "同じです。新たな記録はしていません（変更はありません）。",
                   f"This file is already the current submission (received {dup.received_at}, "
                   f"{dup.submission_id}); nothing recorded, nothing changed.")
    return Msg(f"同じファイルを {dup.received_at} に受信し、受付できませんでした（{dup.submission_id}）。"
               "上の内容を直してから提出してください。新たな記録はしていません。",
               f"The same file was received at {dup.received_at} and refused "
               f"({dup.submission_id}); fix the problems above first. Nothing recorded.")


def restore_message(entry) -> Msg:
    return Msg(f"このファイルは以前の提出（{entry.restores}）と同じ内容です。その内容を最新の提出として"
               "復元しました。次回の build で公開値に反映されます。",
               f"This file is the same as the earlier submission {entry.restores}; its content "
               "is current again and the next build publishes it.")


def _limits(args) -> dict:
    if args.max_bytes is None:
        return {}
    if args.max_bytes <= 0:
        raise UsageError(Msg("--max-bytes には正の整数を指定してください",
                             "--max-bytes must be a positive number of bytes"))
    return {"max_bytes": args.max_bytes}


def _require_known_dataset(dataset: str | None) -> None:
    from orchestration.intake.contracts import load_contracts

    if dataset is not None and dataset not in load_contracts():
        names = ", ".join(load_contracts())
        raise UsageError(Msg(f"データセット「{dataset}」はありません（{names}）",
                             f"Unknown dataset '{dataset}' ({names})"))


def print_report(report, args, submission, checked_only: bool = False) -> None:
    """``checked_only`` (validate): the verdict says the file was checked, never that it was
    received (受付), which only submit does."""
    from orchestration.intake.messages import visible

    lang = args.lang
    # Cell text and file names reach the terminal only through ``visible`` (problems are
    # escaped when recorded; the file name and every printed line here as well).
    name = visible(report.file_name)

    def out(ja: str, en: str) -> None:
        say(lang, visible(ja), visible(en))

    if args.json:
        from orchestration.intake.submissions import report_payload

        payload = report_payload(report, submission, checked_only, lang)
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if checked_only:
        found = ("エラーあり", "errors found") if report.errors else (
            ("警告あり", "warnings found") if report.warnings else ("問題なし", "no problems"))
        out(f"{name}（{report.dataset or '不明'}、{report.municipality}）の"
                  f"検査結果: {found[0]}（検査のみ：受付はしていません）",
            f"{name} ({report.dataset or 'unknown'}, {report.municipality}): "
            f"{found[1]} (checked only: not submitted)")
    else:
        verdict = ("受付しました" if report.accepted else "受付できません") if lang == "ja" else (
            "ACCEPTED" if report.accepted else "REJECTED")
        out(f"{verdict}: {name}（{report.dataset or '不明'}、{report.municipality}）",
            f"{verdict}: {name} ({report.dataset or 'unknown'}, {report.municipality})")
    out(f"  行数 {report.rows_total}、エラー {len(report.errors)} 件、警告 "
              f"{len(report.warnings)} 件",
        f"  rows {report.rows_total}, errors {len(report.errors)}, warnings {len(report.warnings)}")
    labels = {"error": ("エラー", "ERROR"), "warning": ("警告", "WARNING"), "info": ("情報", "INFO")}
    for p in report.problems:
        ja_label, en_label = labels[p.severity]
        where_ja = "".join(x for x in (
            f"シート「{p.sheet}」" if p.sheet else "", f" {p.row}行目" if p.row else "",
            f" 列「{p.column}」" if p.column else "") if x).strip()
        where_en = ", ".join(x for x in (
            f"sheet '{p.sheet}'" if p.sheet else "", f"row {p.row}" if p.row else "",
            f"column '{p.column}'" if p.column else "") if x)
        out(f"  [{ja_label}] {where_ja + ': ' if where_ja else ''}{p.message.ja}" +
            (f"（期待: {p.expected.ja}）" if p.expected else ""),
            f"  [{en_label}] {where_en + ': ' if where_en else ''}{p.message.en}" +
            (f" (expected: {p.expected.en})" if p.expected else ""))
    if submission is not None:
        out(f"  提出ID: {submission.submission_id}", f"  submission id: {submission.submission_id}")
    elif not checked_only and report.record_nothing:
        out("  この提出は記録していません（受付済みのデータは変わりません）。",
            "  Nothing was recorded (accepted data is unchanged).")


# ------------------------------------------------------------------- build


def cmd_build(args, home: Home) -> int:
    if not home.exists():
        raise UsageError(Msg(f"ホームがありません: {home.root}（kurume-hub init を先に実行）",
                             f"No home at {home.root}; run kurume-hub init first"))
    os.environ[HOME_ENV] = str(home.root)
    from orchestration.pipeline import run_build

    outcome = run_build(home, lang=args.lang,
                        rebuild_warehouse=getattr(args, "rebuild_warehouse", False))
    return outcome.exit_code


# ---------------------------------------------------------------- template


def cmd_template(args, home: Home) -> int:
    from orchestration.intake.contracts import load_contracts, municipalities
    from orchestration.intake.templates import write_template

    if args.dataset not in load_contracts():
        raise UsageError(Msg(f"データセット「{args.dataset}」はありません（{', '.join(load_contracts())}）",
                             f"Unknown dataset '{args.dataset}' ({', '.join(load_contracts())})"))
    if args.municipality and args.municipality not in municipalities():
        raise UsageError(Msg(f"団体コード {args.municipality} は構成市町ではありません",
                             f"{args.municipality} is not a member code"))
    suffix = f"_{args.municipality}" if args.municipality else ""
    output = args.output or home.root / "templates" / f"{args.dataset}{suffix}.{args.format}"
    output.parent.mkdir(parents=True, exist_ok=True)
    write_template(args.dataset, output, args.format, args.municipality)
    say(args.lang, f"様式を書き出しました: {output}", f"Template written: {output}")
    return EXIT_OK


# ------------------------------------------------------------- submissions


def cmd_submissions(args, home: Home) -> int:
    from orchestration.intake.ledger import Ledger

    entries = [e for e in Ledger(home).entries()
               if (not args.municipality or e.municipality == args.municipality)
               and (not args.dataset or e.dataset == args.dataset)]
    if args.json:
        from dataclasses import asdict

        print(json.dumps([asdict(e) for e in entries], ensure_ascii=False, indent=2))
        return EXIT_OK
    width = shutil.get_terminal_size((120, 20)).columns
    header = ("seq", "received_at", "municipality", "dataset", "outcome", "rows", "file")
    print("  ".join(header)[:width])
    for e in entries:
        print(f"{e.seq:>3}  {e.received_at}  {e.municipality}  {e.dataset or '-':<26} "
              f"{e.outcome:<8} {e.rows_accepted:>5}/{e.rows_total:<5} {e.original_name}"
              f"{f'  (restores {e.restores})' if e.restores else ''}"[:width])
    return EXIT_OK


# ---------------------------------------------------- acknowledge / releases


def cmd_acknowledge(args, home: Home) -> int:
    from orchestration.quality import acknowledgements

    if vague_reason(args.reason):
        raise UsageError(VAGUE_REASON)
    try:
        acknowledgements.check(home, args.kpi, args.municipality, args.period)
    except acknowledgements.InvalidAcknowledgement as exc:
        raise UsageError(exc.msg) from exc
    ack = acknowledgements.add(home, args.kpi, args.municipality, args.period, args.reason,
                               args.by)
    say(args.lang, f"確認済みとして記録しました: {ack.kpi_id} {ack.municipality_code} {ack.period}"
                   f"（{ack.acknowledged_by}、{ack.acknowledged_at}）。次回の build で公開されます。",
        f"Acknowledged {ack.kpi_id} {ack.municipality_code} {ack.period} "
        f"({ack.acknowledged_by}, {ack.acknowledged_at}); the next build can publish it.")
    return EXIT_OK


def cmd_releases(args, home: Home) -> int:
    from orchestration.publication.approval import list_releases

    rows = list_releases(home)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    labels = {"latest": ("公開中", "latest"), "published": ("公開済み", "published"),
              "pending": ("承認待ち", "pending"), "rejected": ("却下", "rejected")}
    for row in rows:
        ja, en = labels[row["status"]]
        why = f"  {row['decided_by']} {row['decided_at']}: {row['reason']}" if row["reason"] else ""
        say(args.lang, f"{row['release_id']}  {ja:<6} {row['created'] or '':<20} {row['path']}{why}",
            f"{row['release_id']}  {en:<9} {row['created'] or '':<20} {row['path']}{why}")
    if not rows:
        say(args.lang, "公開版はまだありません。", "No releases yet.")
    return EXIT_OK


def _unknown_pending(release_id: str) -> UsageError:
    return UsageError(Msg(
        f"承認待ちの公開版 {release_id} はありません（kurume-hub releases で「承認待ち」を確認）",
        f"No release {release_id} awaits approval (see kurume-hub releases)"))


def cmd_approve(args, home: Home) -> int:
    from orchestration.intake.submissions import _os_user
    from orchestration.publication.approval import UnknownRelease, approve

    try:
        decision = approve(home, args.release_id, args.by or _os_user())
    except UnknownRelease as exc:
        raise _unknown_pending(args.release_id) from exc
    from orchestration.dashboard.site import build_site

    build_site(home)
    say(args.lang, f"承認して公開しました: releases/{args.release_id}（{decision['by']}、"
                   f"{decision['at']}）。ダッシュボードも更新しました。",
        f"Approved and published {args.release_id} ({decision['by']}, {decision['at']}); "
        "dashboard rebuilt.")
    return EXIT_OK


def cmd_reject(args, home: Home) -> int:
    from orchestration.intake.submissions import _os_user
    from orchestration.publication.approval import UnknownRelease, reject_pending

    if vague_reason(args.reason):
        raise UsageError(VAGUE_REASON)
    try:
        decision = reject_pending(home, args.release_id, args.by or _os_user(), args.reason)
    except UnknownRelease as exc:
        raise _unknown_pending(args.release_id) from exc
    say(args.lang, f"差し戻しました: {args.release_id}（{decision['by']}、{decision['at']}、"
                   f"理由: {args.reason}）。公開サイトは変わりません。",
        f"Rejected {args.release_id} ({decision['by']}, {decision['at']}, reason: "
        f"{args.reason}); the public site is unchanged.")
    return EXIT_OK


def cmd_rollback(args, home: Home) -> int:
    from orchestration.publication.approval import rollback

    if args.reason is not None and vague_reason(args.reason):
        raise UsageError(VAGUE_REASON)

    try:
        rollback(home, args.release_id)
    except KeyError as exc:
        raise UsageError(Msg(f"公開版 {args.release_id} はありません（kurume-hub releases で確認）",
                             f"No published release {args.release_id} (see kurume-hub releases)")
                         ) from exc
    from orchestration.intake.submissions import _os_user
    from orchestration.publication.approval import record_decision

    record_decision(home, args.release_id, "rollback", args.by or _os_user(), args.reason)
    from orchestration.dashboard.site import build_site

    build_site(home)
    say(args.lang, f"releases/latest を {args.release_id} に戻しました（ダッシュボードも更新）。",
        f"releases/latest now points at {args.release_id} (dashboard rebuilt).")
    return EXIT_OK


# ------------------------------------------------------------- portal


def _require_home(home: Home) -> None:
    if not home.exists():
        raise UsageError(Msg(f"ホームがありません: {home.root}（kurume-hub init を先に実行）",
                             f"No home at {home.root}; run kurume-hub init first"))


def cmd_serve(args, home: Home) -> int:
    import uvicorn

    from orchestration.portal.app import create_app

    _require_home(home)
    app = create_app(home)
    if args.demo_accounts:
        _demo_accounts(home, args.lang)
    say(args.lang, f"提出ポータル: http://{args.host}:{args.port}/ （ホーム {home.root}、終了は Ctrl+C）",
        f"Portal: http://{args.host}:{args.port}/ (home {home.root}; Ctrl+C stops it)")
    # proxy_headers: behind a reverse proxy on this machine, the client's address and https
    # come from X-Forwarded-* (trusted from 127.0.0.1 only, uvicorn's default).
    uvicorn.run(app, host=args.host, port=args.port, proxy_headers=True, log_level="warning",
                access_log=False)
    return EXIT_OK


DEMO_DOMAIN = "demo.invalid"


def _demo_accounts(home: Home, lang: str) -> None:
    """One account per member and one for the secretariat, on the reserved .invalid domain
    (they can never be someone's real address); each start gives them new passwords."""
    from orchestration.area import area_for
    from orchestration.portal import accounts

    wanted = [(f"secretariat@{DEMO_DOMAIN}", "secretariat", None, "事務局", "secretariat")] + [
        (f"member-{m.code}@{DEMO_DOMAIN}", "member", m.code, m.name_ja, m.name_en)
        for m in area_for(home).members]
    say(lang, "デモ用アカウント（このホーム専用、起動のたびにパスワードを再発行）:",
        "Demo accounts (this home only; new passwords at every start):")
    for email, role, code, name_ja, name_en in wanted:
        password = accounts.new_password()
        if accounts.get_user(home, email) is None:
            accounts.add_user(home, email, role, code, password)
        else:
            accounts.set_password(home, email, password)
        say(lang, f"  {email:<32} {password}  {name_ja}", f"  {email:<32} {password}  {name_en}")


def cmd_users(args, home: Home) -> int:
    from orchestration.portal import accounts, audit, store

    _require_home(home)
    store.initialise(home)
    try:
        return USERS[args.users_command](args, home, accounts, audit)
    except accounts.AccountError as exc:
        raise UsageError(exc.msg) from exc


def _password_from(args, accounts) -> tuple[str, bool]:
    """(password, generated): read from stdin when asked, else a new random one."""
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\n"), False
    return accounts.new_password(), True


def _users_add(args, home, accounts, audit) -> int:
    from orchestration.area import area_for

    if args.municipality and area_for(home).member(args.municipality) is None:
        codes = ", ".join(m.code for m in area_for(home).members)
        raise UsageError(Msg(f"団体コード {args.municipality} は構成団体ではありません（{codes}）",
                             f"{args.municipality} is not a member code ({codes})"))
    password, generated = _password_from(args, accounts)
    role = "member" if args.municipality else "secretariat"
    user = accounts.add_user(home, args.email, role, args.municipality, password)
    audit.record(home, "user_added", actor="cli", target=user.email, municipality=user.municipality,
                 role=role)
    say(args.lang, f"アカウントを作成しました: {user.email}（{args.municipality or '事務局'}）",
        f"Account created: {user.email} ({args.municipality or 'secretariat'})")
    if generated:
        say(args.lang, f"初期パスワード（この表示限り。本人に安全な方法で伝えてください）: {password}",
            f"Initial password (shown once; pass it on safely): {password}")
    return EXIT_OK


def _users_list(args, home, accounts, audit) -> int:
    rows = accounts.list_users(home)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    for r in rows:
        state = "無効" if r["disabled"] else ("ロック中" if r["locked_until"] else "有効")
        state_en = "disabled" if r["disabled"] else ("locked" if r["locked_until"] else "active")
        say(args.lang, f"{r['email']:<36} {r['municipality'] or '事務局':<8} {state}  トークン {r['tokens']}",
            f"{r['email']:<36} {r['municipality'] or 'secretariat':<11} {state_en}  tokens {r['tokens']}")
    if not rows:
        say(args.lang, "アカウントはまだありません（kurume-hub users add）。",
            "No accounts yet (kurume-hub users add).")
    return EXIT_OK


def _users_disable(args, home, accounts, audit, disabled: bool = True) -> int:
    user = accounts.set_disabled(home, args.email, disabled)
    audit.record(home, "user_disabled" if disabled else "user_enabled", actor="cli",
                 target=user.email)
    say(args.lang, f"{user.email} を{'無効' if disabled else '有効'}にしました。",
        f"{user.email} {'disabled (sessions ended, tokens revoked)' if disabled else 'enabled'}.")
    return EXIT_OK


def _users_token(args, home, accounts, audit) -> int:
    token = accounts.new_token(home, args.email)
    audit.record(home, "token_issued", actor="cli", target=accounts.normalise_email(args.email))
    print(token)
    return EXIT_OK


def _users_password(args, home, accounts, audit) -> int:
    password, generated = _password_from(args, accounts)
    accounts.set_password(home, args.email, password)
    audit.record(home, "password_reset", actor="cli", target=accounts.normalise_email(args.email))
    say(args.lang, "パスワードを設定しました（ロックも解除、ログイン中の端末は終了）。",
        "Password set (account unlocked, its sessions ended).")
    if generated:
        say(args.lang, f"新しいパスワード（この表示限り）: {password}",
            f"New password (shown once): {password}")
    return EXIT_OK


USERS = {
    "add": _users_add,
    "list": _users_list,
    "disable": _users_disable,
    "enable": lambda args, home, accounts, audit: _users_disable(args, home, accounts, audit,
                                                                 False),
    "token": _users_token,
    "password": _users_password,
}


COMMANDS = {
    "approve": cmd_approve,
    "reject": cmd_reject,
    "serve": cmd_serve,
    "users": cmd_users,
    "acknowledge": cmd_acknowledge,
    "releases": cmd_releases,
    "rollback": cmd_rollback,
    "init": cmd_init,
    "submit": cmd_submit,
    "validate": cmd_validate,
    "build": cmd_build,
    "demo": cmd_demo,
    "template": cmd_template,
    "submissions": cmd_submissions,
}


def run() -> NoReturn:
    """The ``kurume-hub`` command: ``main`` in a process of its own, left without Python's
    teardown. Freeing the modules of dagster, dbt and GX takes 1.5–5 s after a build has
    finished (issue 15, measured: the import floor alone spends as long exiting as a third
    of its import). Everything a normal exit does for us still happens first: other
    threads finish, the exit handlers run (logging flushed and closed, temporary folders
    removed), the streams are flushed. ``main`` stays for in-process use (tests)."""
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)  # a profiler, debugger or coverage writes its results at exit
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()  # CPython's own exit step; only the object teardown is skipped
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a reader that went away (| head)
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
