"""Reads a LibreLinkUp account through Tidewatch's proxy with libre-linkup-py (PyPI, pinned 0.2.5).

Usage: libre_linkup_py_read.py PROXY_BASE_URL EMAIL PASSWORD

Uses only the library's public API: `LibreLinkUpClient(url=...)` takes the proxy's base URL as a string, and
the `connection` property's setter picks which patient the graph calls read. Prints ONE JSON object on stdout:

    {"library": "libre-linkup-py", "version": "0.2.5", "country": "GB",
     "token_prefix": "tw1.", "account_id": "<sha256 hex>",
     "patients": [{"patient_id": ..., "first_name": ..., "last_name": ...,
                   "latest": {"mgdl": ..., "value": ..., "unix": ...},
                   "graph": [{"mgdl": ..., "value": ..., "unix": ...}, ...],
                   "error": null}]}

`unix` is what the library computes: the wearer-local `Timestamp` localised in the time zone named by the
follower's country (`pytz.timezone(data.user.country)`), not `FactoryTimestamp`. The library has no logbook
any more (its logbook methods print a notice and return nothing), so none is read. A per-patient read that the
library refuses (it raises) is reported in that patient's "error"; a failed login exits 1 with the error on stderr.
"""

import json
import sys
from importlib.metadata import version

from libre_link_up import LibreLinkUpClient


def reading(r):
    return {"mgdl": r.value_in_mg_per_dl, "value": r.value, "unix": r.unix_timestamp}


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    base_url, email, password = sys.argv[1:]
    client = LibreLinkUpClient(username=email, password=password, url=base_url.rstrip("/"))
    client.login()
    connections = client.get_connections()["data"]
    patients = []
    for index in range(len(connections)):
        connection = client.get_connection(index)
        out = {
            "patient_id": connection.patient_id,
            "first_name": connection.first_name,
            "last_name": connection.last_name,
            "latest": None,
            "graph": None,
            "error": None,
        }
        try:
            client.connection = connection
            out["latest"] = reading(client.get_latest_reading())
            out["graph"] = [reading(r) for r in client.get_graph_readings()]
        except Exception as e:  # noqa: BLE001 - reported, the test decides
            out["error"] = f"{type(e).__name__}: {e}"[:2000]
        patients.append(out)
    result = {
        "library": "libre-linkup-py",
        "version": version("libre-linkup-py"),
        "country": client.country,
        "token_prefix": (client.jwt_token or "")[:4],
        "account_id": client.headers.get("Account-Id"),
        "patients": patients,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
