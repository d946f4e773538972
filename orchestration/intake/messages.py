"""Bilingual messages. Japanese is the default language; ``--lang en`` switches to English."""

from __future__ import annotations

import re
from dataclasses import dataclass

LANGS = ("ja", "en")


@dataclass(frozen=True)
class Msg:
    ja: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ja

    def format(self, **kwargs) -> Msg:
        return Msg(self.ja.format(**kwargs), self.en.format(**kwargs))


class IntakeError(Exception):
    """A file cannot be read at all (encoding, format, size). Carries ja and en text."""

    def __init__(self, code: str, msg: Msg):
        super().__init__(f"{msg.ja} / {msg.en}")
        self.code = code
        self.msg = msg


# What a member wrote, in words, for each status and qualifier values.py gives a value
# cell (``Quantity.status``/``qualifier``). Every message naming one uses these: a machine
# token (pending, not_measured) never appears inside a Japanese sentence.
STATUS_LABELS = {
    "ok": Msg("値", "a value"),
    "missing": Msg("欠測", "missing"),
    "pending": Msg("集計中", "pending"),
    "not_measured": Msg("未把握", "not measured"),
    "deleted": Msg("削除", "deleted"),
}
QUALIFIER_LABELS = {
    "at_least": Msg("以上", "at least"),
    "at_most": Msg("以下", "at most"),
}


def status_label(status: str) -> Msg:
    return STATUS_LABELS.get(status) or QUALIFIER_LABELS.get(status) or Msg(status, status)


# Characters a terminal or a viewer acts on instead of showing: C0/C1 controls (ESC starts
# ANSI/OSC sequences that recolour, retitle or rewrite the screen; CR overwrites a line) and
# the bidirectional overrides that reorder what follows (U+202E shows "gnp.exe" as "exe.png").
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: object) -> str:
    """``text`` with every control or direction character shown as an escape (ESC as
    ``\\x1b``, U+202E as ``\\u202e``): what a cell or a file name holds is shown, never
    executed. Used wherever text from a member's file reaches a message, a terminal or a
    report (``Report.add``, the CLI's report, its JSON)."""
    text = str(text)
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible_msg(msg: Msg) -> Msg:
    return Msg(visible(msg.ja), visible(msg.en))


# A decision the secretariat records (acknowledging a change, rejecting or rolling back a
# release) carries a reason a council could read; "ok" or "-" is not one.
REASON_MIN_CHARS = 5
VAGUE_REASON = Msg(f"理由を具体的に記入してください（{REASON_MIN_CHARS} 文字以上）",
                   f"Give a real reason (at least {REASON_MIN_CHARS} characters)")


def vague_reason(reason: str | None) -> bool:
    return len((reason or "").strip()) < REASON_MIN_CHARS
