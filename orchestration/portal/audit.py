"""The portal's audit log: who did what, when, from where. Append-only (SQLite triggers
refuse UPDATE and DELETE); the secretariat reads it on /audit."""

from __future__ import annotations

from orchestration.home import Home
from orchestration.intake.messages import Msg, visible
from orchestration.portal import store

EVENTS = {
    "login": Msg("ログイン", "login"),
    "login_failed": Msg("ログイン失敗", "failed login"),
    "logout": Msg("ログアウト", "logout"),
    "password_changed": Msg("パスワード変更", "password changed"),
    "upload": Msg("アップロード（検査）", "upload (checked)"),
    "submission": Msg("提出", "submission"),
    "denied": Msg("アクセス拒否", "access denied"),
    "token_use": Msg("APIトークン使用", "API token used"),
    "download": Msg("ダウンロード", "download"),
    "user_added": Msg("アカウント作成", "account created"),
    "user_disabled": Msg("アカウント無効化", "account disabled"),
    "user_enabled": Msg("アカウント有効化", "account enabled"),
    "password_reset": Msg("パスワード再発行", "password reset"),
    "token_issued": Msg("APIトークン発行", "API token issued"),
    "build_requested": Msg("ビルド依頼", "build requested"),
    "acknowledged": Msg("変化を確認済みに", "change acknowledged"),
    "approve_requested": Msg("承認・公開の依頼", "approval requested"),
    "release_rejected": Msg("公開版の差し戻し", "release rejected"),
    "rollback_requested": Msg("公開版を戻す依頼", "rollback requested"),
}

# What the outcome column says, for the page (the log keeps the short code).
OUTCOMES = {
    "ok": Msg("エラーなし", "no errors"),
    "errors": Msg("エラーあり", "errors"),
    "accepted": Msg("受付", "accepted"),
    "rejected": Msg("却下", "rejected"),
    "duplicate": Msg("変更なし（同じファイル）", "unchanged (same file)"),
    "not_recorded": Msg("記録せず", "not recorded"),
    "bad_credentials": Msg("パスワード等の誤り", "wrong credentials"),
    "locked": Msg("ロック中", "locked"),
    "ip_throttled": Msg("接続元を制限中", "address throttled"),
    "disabled": Msg("無効なアカウント", "disabled account"),
    "queued": Msg("順番待ちに登録", "queued"),
    "refused": Msg("受け付けず", "refused"),
}


def record(home: Home, event: str, *, actor: str | None = None, role: str | None = None,
           municipality: str | None = None, target: str | None = None, ip: str | None = None,
           outcome: str | None = None, detail: str | None = None) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    # Text that came from a request (a file name, a path) is stored as it is shown.
    values = [None if v is None else visible(v)[:500]
              for v in (actor, role, municipality, target, ip, outcome, detail)]
    with store.connect(home) as db:
        db.execute("INSERT INTO audit (at, event, actor, role, municipality, target, ip, outcome,"
                   " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (store.now(), event, *values))


def entries(home: Home, limit: int = 500, event: str | None = None) -> list[dict]:
    query = "SELECT * FROM audit"
    params: list = []
    if event:
        query += " WHERE event = ?"
        params.append(event)
    with store.connect(home) as db:
        rows = db.execute(query + " ORDER BY seq DESC LIMIT ?", (*params, limit)).fetchall()
    return [dict(r) for r in rows]
