"""Settings read from GOVDATA_* environment variables (pydantic-settings)."""

from __future__ import annotations

import secrets
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from govdata import clock


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVDATA_", extra="ignore")

    home: Path = Path("./var")
    database_url: str | None = None
    # A PostgreSQL streaming replica (`pg_basebackup -R`) for reads that may lag: catalog lists and search, the
    # public portal, the rows of downloads (storage.replica). It is set aside while it is further behind than
    # `replica_max_lag_seconds` or does not answer; the primary answers those reads meanwhile.
    database_replica_url: str | None = None
    replica_max_lag_seconds: float = Field(default=5.0, ge=0)
    secret_key: str | None = None
    # Demo mode seeds the demo data and enables the demo password; never on in production.
    demo: bool = False
    demo_password: str = "govdata-demo"

    session_hours: int = 8
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    login_ip_per_minute: int = 30
    api_token_hours: int = 8
    system_token_days: int = 365
    # 等保 三级 sign-in (auth/passwordpolicy.py, auth/totp.py, auth/session_idle.py). The password rules apply to
    # every new or changed password; an expired one must be changed at the next sign-in (0 days: never expires).
    password_min_length: int = Field(default=12, ge=8, le=128)
    password_min_classes: int = Field(default=3, ge=1, le=4)  # of upper, lower, digit, symbol
    password_history: int = Field(default=5, ge=0, le=24)  # the last N passwords may not be used again
    password_expiry_days: int = Field(default=90, ge=0)
    session_idle_minutes: int = Field(default=30, ge=1)  # a page session unused this long asks to sign in again
    totp_required_roles: str = "center,security"  # roles that must enrol a second factor, comma separated
    totp_attempts_per_minute: int = Field(default=5, ge=1)  # second-factor codes one account may try a minute

    # Addresses (or networks, 10.0.0.0/24) of reverse proxies whose X-Forwarded-Proto and X-Forwarded-For are
    # believed, comma separated: a request they forward as https gets Secure cookies, and the client address they
    # forward is the one rate limits, the audit trail and /metrics use. Default none: the direct peer only.
    trusted_proxies: str = ""
    # Who may read /metrics besides the machine itself (web/metrics.py): networks, comma separated, judged by the
    # client address resolved as above; and a bearer token for a Prometheus elsewhere (unset: none).
    metrics_allow: str = ""
    metrics_token: str | None = None

    max_body_bytes: int = 10 * 1024 * 1024
    max_upload_bytes: int = 4 * 1024 * 1024 * 1024
    # What an uploaded .xlsx may expand to (its XML parts together); more is refused as a zip bomb (govdata.xlsx).
    max_xlsx_expanded_bytes: int = Field(default=256 * 1024 * 1024, ge=1024 * 1024)
    share_max_keys: int = 100
    share_row_limit: int = 20  # default rows one sharing call may return (set per grant on approval)
    share_review_workdays: int = 5
    open_downloads_per_minute: int = 30  # open-data downloads per anonymous client address per minute
    open_key_calls_per_minute: int = 300  # reads of values and CKAN API calls per public app key per minute
    open_anonymous_calls_per_minute: int = 120  # CKAN API calls per anonymous client address per minute
    open_signups_per_hour: int = 10  # public sign-ups per client address per hour
    open_key_days: int = 365  # how long a public app key lives
    open_keys_per_account: int = 10  # live app keys one public account may hold
    share_rate_per_minute: int = 6000  # default per-grant rate limit of the sharing API
    # Calls a day one grant may make, by its entry's grade (第二十一条; policy.grading): the consumer's stated
    # daily volume, capped. Core data answers a case at a time (a service window handles a few hundred cases a
    # day), important data serves a business system's daily load, general data a bulk reconciliation.
    grade_quota_core: int = Field(default=1_000, ge=1)
    grade_quota_important: int = Field(default=10_000, ge=1)
    grade_quota_general: int = Field(default=100_000, ge=1)
    correction_workdays: int = 5
    # A confidentiality agreement's scanned or PDF file (第二十九条); under max_body_bytes, so the form's own
    # message answers rather than the body limit.
    vendor_agreement_max_bytes: int = 8 * 1024 * 1024
    audit_retention_days: int = Field(default=180, ge=180)  # 第二十四条: kept at least six months
    # Log push to the units (第二十四条, `security.logpush`): a unit's endpoint must be https://; plain http is
    # taken only for a loopback address (127.0.0.1, ::1, localhost) and only when this is on (tests, a local
    # relay). A folder destination must lie under `logpush_folder_root` when that is set.
    logpush_allow_http_loopback: bool = False
    logpush_folder_root: Path | None = None
    logpush_timeout_seconds: float = Field(default=10.0, gt=0, le=300)  # each step of one POST
    logpush_batch_events: int = Field(default=5000, ge=1, le=100_000)  # events in one batch file

    # Start the clock at this moment (an ISO date or time) and let it run on; unset: the system's time.
    # For trying deadlines and for tests; production leaves it unset.
    clock: str | None = None

    # Backups (第二十四条): where the daily `security.backup` job writes its archives (unset: <home>/backups)
    # and how many of them it keeps (older ones are removed after a good run).
    backup_dir: Path | None = None
    backup_keep: int = Field(default=7, ge=1)
    # True: the daily job's archives leave the private audit seal key out (`govdata backup --without-private-keys`),
    # for archives copied off-site, which then cannot forge seals; a restore needs the key given (`--seal-key`).
    backup_without_private_keys: bool = False

    # E-mail reminders (`govdata.mail`): the to-do as a daily digest and a message for what is due today or
    # overdue. Without `smtp_host` reminders stay in-app and nothing is queued. `smtp_starttls` upgrades a plain
    # connection (port 587); `smtp_ssl` speaks TLS from the start (port 465). Each step of a delivery waits at
    # most `smtp_timeout_seconds`: a server that hangs costs the delivery job that long, never a page.
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_from: str = "noreply@govdata.localdomain"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    mail_digest_hour: int = Field(default=8, ge=0, le=23)  # 北京时间: the digest goes out from this hour on
    mail_site_url: str = ""  # the platform's address as people open it (links in e-mails); unset: paths only
    mail_batch: int = Field(default=50, ge=1, le=1000)  # messages one delivery run hands to the server

    jobs_timer_seconds: int = 60
    # Uploads of this many bytes or more, and scans, comparisons and exports of this many rows or more, run as
    # background work with a progress page (`govdata.work`); `work_threads` of them at once per process.
    work_threshold_bytes: int = Field(default=2 * 1024 * 1024, ge=0)
    work_threshold_rows: int = Field(default=50_000, ge=0)
    work_threads: int = Field(default=2, ge=1, le=16)
    run_jobs_in_server: bool = True

    @cached_property
    def home_dir(self) -> Path:
        home = self.home.expanduser().resolve()
        home.mkdir(parents=True, exist_ok=True)
        return home

    @property
    def backup_folder(self) -> Path:
        return (self.backup_dir or self.home_dir / "backups").expanduser().resolve()

    @cached_property
    def trusted_proxy_networks(self) -> list[IPv4Network | IPv6Network]:
        return [ip_network(part.strip(), strict=False) for part in self.trusted_proxies.split(",") if part.strip()]

    @cached_property
    def metrics_allowed_networks(self) -> list[IPv4Network | IPv6Network]:
        return [ip_network(part.strip(), strict=False) for part in self.metrics_allow.split(",") if part.strip()]

    @property
    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home_dir / 'govdata.db'}"

    @property
    def mail_enabled(self) -> bool:
        """Whether reminders also go out by e-mail (an SMTP server is configured)."""
        return bool(self.smtp_host.strip())

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @cached_property
    def key(self) -> str:
        """The secret key: given, or generated once into the home and kept there (never in the repo)."""
        if self.secret_key:
            return self.secret_key
        path = self.home_dir / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


_settings: Settings | None = None


def get_settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings()
        clock.configure(_settings.clock)
    return _settings


def set_settings(settings: Settings) -> None:
    global _settings
    _settings = settings
