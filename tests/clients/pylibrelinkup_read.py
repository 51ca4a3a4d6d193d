"""Reads a LibreLinkUp account through Tidewatch's proxy with pylibrelinkup (PyPI, pinned 0.11.2).

Usage: pylibrelinkup_read.py PROXY_BASE_URL EMAIL PASSWORD

Uses only the library's public API. The library has no base-URL option (its constructor takes the APIUrl enum),
so the URL is set on the `api_url` attribute after construction (llu-protocol.md section 8); nothing else is
patched. Prints ONE JSON object on stdout:

    {"library": "pylibrelinkup", "version": "0.11.2", "token_prefix": "tw1.", "account_id": "<sha256 hex>",
     "patients": [{"patient_id": ..., "first_name": ..., "last_name": ...,
                   "latest": {"mgdl": ..., "value": ..., "factory_unix": ..., "local": "...", "trend": ...},
                   "graph": [{"mgdl": ..., "factory_unix": ...}, ...],
                   "logbook": [{"mgdl": ..., "factory_unix": ..., "type": ...}, ...],
                   "error": null}]}

A per-patient read that the library refuses (it raises) is reported in that patient's "error" as
"ExceptionType: message" with the fields it could not read left null; a failed login exits 1 with the error on
stderr.
"""

import json
import sys
from importlib.metadata import version

from pylibrelinkup import PyLibreLinkUp


def measurement(m):
    """A pylibrelinkup GlucoseMeasurement as plain JSON (FactoryTimestamp is the library's UTC datetime)."""
    return {
        "mgdl": m.value_in_mg_per_dl,
        "value": m.value,
        "factory_unix": int(m.factory_timestamp.timestamp()),
        "local": m.timestamp.isoformat(),
        "type": m.type,
    }


def read_patient(client, patient):
    out = {
        "patient_id": str(patient.patient_id),
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "latest": None,
        "graph": None,
        "logbook": None,
        "error": None,
    }
    try:
        latest = client.latest(patient)
        out["latest"] = dict(measurement(latest), trend=int(latest.trend))
        out["graph"] = [measurement(m) for m in client.graph(patient)]
        out["logbook"] = [measurement(m) for m in client.logbook(patient)]
    except Exception as e:  # noqa: BLE001 - reported, the test decides
        first_line = str(e).splitlines()[0] if str(e) else ""
        out["error"] = f"{type(e).__name__}: {first_line} | {str(e)!r}"[:2000]
    return out


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    base_url, email, password = sys.argv[1:]
    client = PyLibreLinkUp(email=email, password=password)
    client.api_url = base_url.rstrip("/")
    client.authenticate()
    patients = client.get_patients()
    result = {
        "library": "pylibrelinkup",
        "version": version("pylibrelinkup"),
        "token_prefix": (client.token or "")[:4],
        "account_id": client.account_id_hash,
        "patients": [read_patient(client, p) for p in patients],
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
