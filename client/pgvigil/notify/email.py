"""Email: one notification as a multipart (text and HTML) message over SMTP,
as Alertmanager's email_configs sends it. Port 465 speaks implicit TLS;
any other port must offer STARTTLS unless ``require_tls`` is false.
Authenticates when the server offers AUTH and ``auth_username`` is set. The
config comes merged with ``global.smtp_*`` by claim_notifications; the
password is read by the caller (``auth_password_file`` or ``_env``).

The message's Message-ID is the notification's idempotency key, so a mail
sent twice (at least once) is recognisably the same mail."""

from __future__ import annotations

import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from pgvigil.notify import chat
from pgvigil.notify.http import SendResult

_IMPLICIT_TLS_PORT = 465


def split_smarthost(smarthost: str) -> tuple[str, int]:
    host, _, port = smarthost.rpartition(":")
    return host.strip("[]"), int(port)


def tls_context(config: dict[str, Any]) -> ssl.SSLContext:
    """Verifying by default, with tls_config's ca_file; insecure_skip_verify
    is Alertmanager's switch for a self-signed server."""
    tls = config.get("tls_config") or {}
    context = ssl.create_default_context(cafile=tls.get("ca_file"))
    if tls.get("insecure_skip_verify"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def message(payload: dict[str, Any], config: dict[str, Any], message_id: str) -> EmailMessage:
    """The mail: Alertmanager's default subject, every alert as a line of
    text and a row of HTML, and the config's literal headers on top."""
    subject = chat.title(payload)
    lines = chat.alert_lines(payload)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = config["from"]
    msg["To"] = config["to"]
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = f"<{message_id}@pgvigil>"
    for name, value in (config.get("headers") or {}).items():
        del msg[name]
        msg[name] = value
    msg.set_content(subject + "\n\n" + "\n".join(lines) + "\n")
    rows = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    msg.add_alternative(
        f"<!DOCTYPE html><html><body><h2>{html.escape(subject)}</h2><ul>{rows}</ul></body></html>",
        subtype="html",
    )
    return msg


def send(
    config: dict[str, Any],
    msg: EmailMessage,
    password: str | None,
    timeout: float,
) -> SendResult:
    """Send one mail; never raises for the server's failures. 4xx replies
    and connection failures are tried again, 5xx replies never."""
    host, port = split_smarthost(config["smarthost"])
    hello = config.get("hello", "localhost")
    require_tls = config.get("require_tls", True)
    try:
        smtp: smtplib.SMTP
        if port == _IMPLICIT_TLS_PORT:
            smtp = smtplib.SMTP_SSL(host, port, local_hostname=hello, timeout=timeout,
                                    context=tls_context(config))  # fmt: skip
        else:
            smtp = smtplib.SMTP(host, port, local_hostname=hello, timeout=timeout)
        with smtp:
            smtp.ehlo(hello)
            if not isinstance(smtp, smtplib.SMTP_SSL) and require_tls:
                if not smtp.has_extn("starttls"):
                    return SendResult(
                        "failed", None,
                        f"require_tls is true but {host}:{port} does not offer STARTTLS",
                    )  # fmt: skip
                smtp.starttls(context=tls_context(config))
                smtp.ehlo(hello)
            if config.get("auth_username") and smtp.has_extn("auth"):
                smtp.login(config["auth_username"], password or "")
            smtp.send_message(msg)
            code = 250
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [c for c, _ in exc.recipients.values()]
        code = max(codes) if codes else 550
        return _reply(code, f"recipients refused: {', '.join(sorted(exc.recipients))}")
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error
        return _reply(
            exc.smtp_code, text.decode(errors="replace") if isinstance(text, bytes) else text
        )
    except TimeoutError:
        return SendResult("retry", None, f"timed out after {timeout:g} s")
    except ssl.SSLError as exc:
        return SendResult("retry", None, f"TLS: {exc.reason or exc}")
    except (OSError, smtplib.SMTPException) as exc:
        return SendResult("retry", None, f"{type(exc).__name__}: {exc}")
    return SendResult("delivered", code)


def _reply(code: int, text: str) -> SendResult:
    outcome = "failed" if 500 <= code < 600 else "retry"
    return SendResult(outcome, code, f"SMTP {code} {text}"[:500])
