"""``python -m sandbox --host 127.0.0.1 --port PORT [--access-token-ttl S] [--snapshot PATH]``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import FrameType

from werkzeug.serving import make_server

from .app import create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--access-token-ttl", type=int, default=3600, help="seconds (default 3600)")
    parser.add_argument("--snapshot", default=None, help="JSON file: loaded at start if present, saved on change/exit")
    parser.add_argument("--push-retry-base", type=float, default=None, help="push retry backoff base, seconds")
    args = parser.parse_args(argv)

    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app(
        access_token_ttl=args.access_token_ttl, snapshot_path=args.snapshot, push_retry_base=args.push_retry_base
    )
    server = make_server(args.host, args.port, app, threaded=True)

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    logging.getLogger("sandbox").info("sandbox listening on http://%s:%d/", args.host, server.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sb = app.extensions["sandbox"]
        sb.push.stop_all()
        if args.snapshot:
            sb.state.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
