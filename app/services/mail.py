"""Outgoing mail through the configured SMTP server (SMTP_* settings), with the standard
library's smtplib in a worker thread: a blocking client must never run on the event loop.

Mail is sent from background jobs only (`app.services.auth.password_reset`), never while a
request waits: a slow or unreachable server then delays a job, not a page, and a failure is
retried by the queue.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from app.core.config import Settings

# The port of SMTP over TLS from the first byte ("SMTPS"); any other port may use STARTTLS.
IMPLICIT_TLS_PORT = 465


class MailNotConfigured(RuntimeError):
    """SMTP_HOST or SMTP_FROM is not set."""


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str


def build_message(settings: Settings, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    return message


def _deliver(settings: Settings, message: EmailMessage) -> None:
    timeout = settings.smtp_timeout_seconds
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if settings.smtp_port == IMPLICIT_TLS_PORT:
        client = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
        )
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with client:
        if settings.smtp_starttls and settings.smtp_port != IMPLICIT_TLS_PORT:
            client.starttls(context=context)
        if settings.smtp_username:
            client.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        client.send_message(message)


async def send(settings: Settings, mail: Mail) -> None:
    """Send one message; raises what the SMTP server or the network raises (the job retries)."""
    if not (settings.smtp_host and settings.smtp_from):
        raise MailNotConfigured("SMTP_HOST and SMTP_FROM must be set to send mail")
    await asyncio.to_thread(_deliver, settings, build_message(settings, mail))
