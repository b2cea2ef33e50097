"""Handing one message to the SMTP server with the standard library (`smtplib`, `email`), and saying in Chinese
why it did not go: refused for good (5xx), refused for now (4xx), no answer in time, no connection.

Every step waits at most `smtp_timeout_seconds` (the socket's timeout), so a server that hangs costs the delivery
job that long and no more. This runs only in the delivery job, never in a request.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from govdata.config import Settings

SENDER_NAME = "政务数据共享平台"


class DeliveryFailed(Exception):
    """The server did not take the message; `message` says why, in Chinese, for the outbox page."""

    def __init__(self, message: str, *, server_wide: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.server_wide = server_wide  # False: this message was refused; the server may take the next ones


# Refusals of one message (its sender, a recipient, its content): the run goes on with the next message.
PER_MESSAGE = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


@dataclass(frozen=True)
class Envelope:
    to_address: str
    subject: str
    text_body: str
    html_body: str
    message_key: str  # stable per outbox row: the Message-ID, so a resend after a crash is recognisably the same


def build(settings: Settings, envelope: Envelope, *, sent_at: datetime) -> EmailMessage:
    """The MIME message: plain text with an HTML alternative, UTF-8 throughout."""
    message = EmailMessage()
    sender = settings.smtp_from.strip()
    message["From"] = Address(SENDER_NAME, addr_spec=sender) if "<" not in sender else sender
    message["To"] = envelope.to_address
    message["Subject"] = envelope.subject
    message["Date"] = format_datetime(sent_at.replace(tzinfo=UTC))
    domain = sender.rsplit("@", 1)[-1].rstrip(">") or "govdata.localdomain"
    message["Message-ID"] = make_msgid(idstring=envelope.message_key, domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a reminder
    message.set_content(envelope.text_body)
    message.add_alternative(envelope.html_body, subtype="html")
    return message


def _explain(exc: BaseException, settings: Settings) -> str:
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [f"{code} {_text(msg)}" for code, msg in exc.recipients.values()]
        return f"邮件服务器拒收收件地址：{'；'.join(codes)}"[:500]
    if isinstance(exc, smtplib.SMTPResponseException):
        kind = "暂时拒收，稍后重试" if 400 <= exc.smtp_code < 500 else "拒收"
        return f"邮件服务器{kind}（{exc.smtp_code}）：{_text(exc.smtp_error)}"[:500]
    if _timed_out(exc):
        return f"邮件服务器 {where} 在 {settings.smtp_timeout_seconds:g} 秒内没有响应（超时）"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"邮件服务器 {where} 中途断开了连接"
    if isinstance(exc, ssl.SSLError):
        return f"与邮件服务器 {where} 建立加密连接失败：{exc.reason or exc}"[:500]
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"邮件服务器 {where} 不支持所需的功能（如 STARTTLS 或登录）"
    if isinstance(exc, ConnectionRefusedError):
        return f"无法连接邮件服务器 {where}（连接被拒绝）"
    if isinstance(exc, OSError):
        return f"无法连接邮件服务器 {where}：{exc.strerror or exc}"[:500]
    return f"发送失败：{type(exc).__name__}"


def _timed_out(exc: BaseException | None) -> bool:
    """A timeout, itself or behind smtplib's "connection unexpectedly closed" (it wraps a read that timed out)."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, socket.timeout | TimeoutError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def send(settings: Settings, message: EmailMessage) -> None:
    """Hand `message` to the configured server; raises `DeliveryFailed` when it did not take it."""
    timeout = settings.smtp_timeout_seconds
    try:
        client: smtplib.SMTP
        if settings.smtp_ssl:
            client = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with client:
            if settings.smtp_starttls and not settings.smtp_ssl:
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                client.login(settings.smtp_user, settings.smtp_password)
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(_explain(exc, settings), server_wide=not isinstance(exc, PER_MESSAGE)) from exc
