"""Regenerate the bundled sample submissions (synthetic but calibrated; see sources/README.md).

    .venv/bin/python sources/samples/make_samples.py

Real figures (from shared/reference) are marked REAL below; everything else is synthetic.
Files use the formats members really send: xlsx typed by staff, CSV saved by Excel in
CP932, values with 千人 units.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
YEARS = list(range(2019, 2026))

# Tourist arrivals (persons) by calendar year. CY2023 sums to 9,028,000, the vision's
# baseline (9,028千人, R5年). Ogori 2020-2023 are REAL (003: 年間観光入込調査人数 240/344/
# 608/747千人); the reference does not say 年 or 年度 for that series, we file it as 年.
TOURISM = {
    "40203": [5_380_000, 2_050_000, 2_480_000, 4_410_000, 5_450_000, 5_690_000, 5_820_000],
    "40212": [801_000, 296_000, 352_000, 640_000, 780_000, 812_000, 836_000],
    "40216": [760_000, 240_000, 344_000, 608_000, 747_000, 790_000, 812_000],
    "40225": [1_490_000, 611_000, 702_000, 1_236_000, 1_520_000, 1_575_000, 1_602_000],
    "40503": [226_000, 88_000, 101_000, 187_000, 231_000, 240_000, 246_000],
    "40522": [296_000, 118_000, 131_000, 243_000, 300_000, 309_000, 318_000],
}
REAL_TOURISM = {("40216", y) for y in (2020, 2021, 2022, 2023)}


def _note(code: str, year: int) -> str:
    return "実数（小郡市 第3期総合戦略 調査表）" if (code, year) in REAL_TOURISM else ""


def write_tourism_xlsx(code: str, path: Path, in_thousands: bool = False) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "データ"
    ws.append(["年", "観光入込客数（人）", "備考"])
    for year, persons in zip(YEARS, TOURISM[code]):
        # Staff often type 千人 figures as text with the unit; intake converts them.
        value = f"{persons // 1000:,}千人" if in_thousands else persons
        ws.append([year, value, _note(code, year)])
    wb.save(path)


def write_tourism_csv_cp932(code: str, path: Path) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["年", "観光入込客数（人）", "備考"])
    for year, persons in zip(YEARS, TOURISM[code]):
        writer.writerow([f"{year}年", f"{persons:,}", _note(code, year)])
    path.write_bytes(buffer.getvalue().encode("cp932"))


def main() -> None:
    for code in TOURISM:
        folder = HERE / code
        folder.mkdir(exist_ok=True)
        if code in ("40212", "40503"):
            write_tourism_csv_cp932(code, folder / "tourism_visitors.csv")
        else:
            write_tourism_xlsx(code, folder / "tourism_visitors.xlsx", in_thousands=code == "40216")
    total_2023 = sum(series[YEARS.index(2023)] for series in TOURISM.values())
    assert total_2023 == 9_028_000, total_2023


if __name__ == "__main__":
    main()
