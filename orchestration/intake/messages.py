"""Bilingual messages. Japanese is the default language; ``--lang en`` switches to English."""

from __future__ import annotations

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
