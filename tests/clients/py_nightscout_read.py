"""Reads a Tidewatch share with py-nightscout (PyPI, pinned 1.3.3), the way a Nightscout follower app would.

Usage: py_nightscout_read.py SERVER_URL SHARE_SECRET

Uses only the library's public API: `Api(server_url, api_secret=secret)` (the library sends the secret's SHA-1
as the `api-secret` header), `get_server_status()` and `get_sgvs()`. Prints ONE JSON object on stdout:

    {"library": "py-nightscout", "version": "1.3.3", "status": "ok", "name": "Tidewatch",
     "sgvs": [{"sgv": ..., "unix_ms": ..., "direction": ..., "delta": ..., "device": ...}, ...]}

An error exits 1 with it on stderr.
"""

import asyncio
import json
import sys
from importlib.metadata import version

import py_nightscout as nightscout


async def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    url, secret = sys.argv[1:]
    api = nightscout.Api(url, api_secret=secret)
    status = await api.get_server_status()
    sgvs = await api.get_sgvs()
    print(json.dumps({
        "library": "py-nightscout",
        "version": version("py-nightscout"),
        "status": status.status,
        "name": status.name,
        "sgvs": [
            {"sgv": s.sgv, "unix_ms": int(s.date.timestamp() * 1000), "direction": s.direction,
             "delta": s.delta, "device": s.device}
            for s in sgvs
        ],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
