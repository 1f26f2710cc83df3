"""The chat and paging channels that are an HTTP POST of their own JSON:
Slack (an incoming webhook: text plus blocks), Microsoft Teams (a Workflows
adaptive card, as Alertmanager's msteamsv2_configs sends) and PagerDuty
(Events API v2: trigger, acknowledge or resolve, one dedup_key per alert
group). Each is
rendered from the notification's webhook v4 body the database wrote."""

from __future__ import annotations

import hashlib
from typing import Any

PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
# pgvigil's severities as PagerDuty's (critical, error, warning, info).
_PAGERDUTY_SEVERITY = {"critical": "critical", "high": "error", "medium": "warning", "low": "info"}


def title(payload: dict[str, Any]) -> str:
    """Alertmanager's default title: [FIRING:2] the group's label values."""
    firing = sum(1 for a in payload["alerts"] if a["status"] == "firing")
    status = f"FIRING:{firing}" if payload["status"] == "firing" else "RESOLVED"
    values = " ".join(v for _, v in sorted(payload["groupLabels"].items()))
    return f"[{status}] {values}".rstrip()


def alert_lines(payload: dict[str, Any]) -> list[str]:
    lines = []
    for alert in payload["alerts"]:
        summary = alert["annotations"].get("summary") or alert["labels"].get("alertname", "")
        mark = (
            "resolved"
            if alert["status"] == "resolved"
            else alert["labels"].get("severity", "firing")
        )
        lines.append(f"{mark}: {summary}")
    return lines


def slack_body(payload: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    text = title(payload)
    body: dict[str, Any] = {
        "text": text,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": text[:150]}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "\n".join(alert_lines(payload))[:3000]},
            },
        ],
    }
    for key in ("channel", "username", "icon_emoji", "icon_url"):
        if key in config:
            body[key] = config[key]
    return body


def teams_body(payload: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    firing = payload["status"] == "firing"
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.2",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": title(payload),
                            "weight": "Bolder",
                            "size": "Medium",
                            "wrap": True,
                            "style": "heading",
                            "color": "Attention" if firing else "Good",
                        },  # fmt: skip
                        {
                            "type": "TextBlock",
                            "text": "\n\n".join(alert_lines(payload)),
                            "wrap": True,
                        },
                    ],
                    "msteams": {"width": "full"},
                },
            }
        ],
    }


def pagerduty_dedup_key(group_key: str) -> str:
    """One incident per alert group, as Alertmanager keys it."""
    return hashlib.sha256(group_key.encode()).hexdigest()


def pagerduty_body(
    payload: dict[str, Any], config: dict[str, Any], routing_key: str, reason: str | None = None
) -> dict[str, Any]:
    """Trigger while the group fires, resolve when it has resolved, and
    acknowledge when every firing alert in it was acknowledged."""
    severities = [
        a["labels"].get("severity", "") for a in payload["alerts"] if a["status"] == "firing"
    ]
    worst = next((s for s in ("critical", "high", "medium", "low") if s in severities), "critical")
    body: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "acknowledge"
        if reason == "acknowledged"
        else "trigger"
        if payload["status"] == "firing"
        else "resolve",
        "dedup_key": pagerduty_dedup_key(payload["groupKey"]),
        "payload": {
            "summary": title(payload)[:1024],
            "source": config.get("source", "pgvigil"),
            "severity": config.get("severity", _PAGERDUTY_SEVERITY[worst]),
            "custom_details": {
                "firing": "\n".join(alert_lines(payload)),
                "groupLabels": payload["groupLabels"],
            },
        },
        "client": config.get("client", "pgvigil"),
    }
    for key in ("component", "group", "class"):
        if key in config:
            body["payload"][key] = config[key]
    if "client_url" in config:
        body["client_url"] = config["client_url"]
    return body
