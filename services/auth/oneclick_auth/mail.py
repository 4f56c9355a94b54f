"""Emails with one-time links (password reset, verification): SMTP when configured.

Without SMTP, dev mode logs the link so a developer can follow it; outside dev mode nothing is sent and
the log says so without the link (it is a credential).
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage

from oneclick_auth.settings import AuthSettings
from oneclick_core.observability.logs import get_logger

log = get_logger(__name__)


class Mailer:
    def __init__(self, settings: AuthSettings) -> None:
        self._settings = settings

    async def send_link(self, *, to: str, subject: str, intro: str, link: str, purpose: str) -> None:
        settings = self._settings
        if settings.smtp_host is None:
            if settings.dev:
                # Deliberately logged under a key the redaction leaves alone: dev has no other way to get it.
                log.info("mail.dev_link", purpose=purpose, to=to, link=link)
            else:
                log.warning("mail.not_configured", purpose=purpose, hint="set ONECLICK_SMTP_HOST to send emails")
            return
        message = EmailMessage()
        message["From"] = f"{settings.app_name} <{settings.smtp_sender}>"
        message["To"] = to
        message["Subject"] = f"{settings.app_name}: {subject}"
        message.set_content(f"{intro}\n\n{link}\n\nIf you did not ask for this, ignore this email.\n")
        try:
            await asyncio.to_thread(self._deliver, message)
            log.info("mail.sent", purpose=purpose)
        except (OSError, smtplib.SMTPException) as exc:
            # The request that asked for the email still succeeds: its answer must not reveal anything.
            log.error("mail.failed", purpose=purpose, error=str(exc))

    def _deliver(self, message: EmailMessage) -> None:
        settings = self._settings
        assert settings.smtp_host is not None
        smtp: smtplib.SMTP
        if settings.smtp_tls:
            smtp = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=15, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15)
        with smtp:
            smtp.ehlo()
            if not settings.smtp_tls and settings.smtp_starttls and smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username and settings.smtp_password is not None:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
