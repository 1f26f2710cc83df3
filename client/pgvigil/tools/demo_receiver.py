"""The demo's webhook receiver as a process of its own, left running by
``pgvigil demo --serve`` so that what the dashboard does (acknowledge,
silence, resolve) can be seen arriving, or not, as webhooks: each body is
printed as one line to its log (``$PGVIGIL_HOME/webhooks.log``).

    python -m pgvigil.tools.demo_receiver --port 8081"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from datetime import datetime, timezone
from typing import Any

from pgvigil.tools.demo_notifications import DemoReceiver


def summary(body: dict[str, Any]) -> str:
    alerts = body.get("alerts", [])
    labels = ", ".join(f"{k}={v}" for k, v in sorted(body.get("groupLabels", {}).items()))
    return (
        f"{datetime.now(timezone.utc).isoformat(timespec='seconds')} {body.get('status', '?')}: "
        f"{len(alerts)} alert(s) of {labels or '(all)'}; body: {json.dumps(body, sort_keys=True)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pgvigil.tools.demo_receiver")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    stop = threading.Event()
    receiver = DemoReceiver(port=args.port, on_body=lambda body: print(summary(body), flush=True))
    print(f"demo webhook receiver: listening on {receiver.url}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    receiver.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
