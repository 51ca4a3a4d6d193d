"""Independent Web Push checks for the integration tests (PyPI `http-ece` and `py-vapid`, not Tidewatch's code).

  push_tool.py keys   -> {"private": <d, base64url>, "p256dh": <public point, base64url>, "auth": <16 bytes, base64url>}
                          a browser-like subscription key pair (cryptography's P-256).
  push_tool.py open   <- {"private", "auth", "body" (standard base64), "authorization"}
                      -> {"plaintext", "vapid_valid", "k", "claims", "rs", "salt_len", "keyid_len"}
                          decrypts an aes128gcm push (RFC 8291) with http_ece and verifies its VAPID header
                          (RFC 8292) with py_vapid's Vapid02.verify.
"""

import base64
import json
import os
import struct
import sys

import http_ece
import py_vapid
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def keys() -> dict:
    private = ec.generate_private_key(ec.SECP256R1())
    d = private.private_numbers().private_value.to_bytes(32, "big")
    public = private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return {"private": b64url(d), "p256dh": b64url(public), "auth": b64url(os.urandom(16))}


def open_push(request: dict) -> dict:
    d = int.from_bytes(unb64url(request["private"]), "big")
    private = ec.derive_private_key(d, ec.SECP256R1())
    body = base64.b64decode(request["body"])
    plaintext = http_ece.decrypt(
        body, private_key=private, auth_secret=unb64url(request["auth"]), version="aes128gcm"
    )
    authorization = request["authorization"]
    valid = bool(py_vapid.Vapid02.verify(authorization))
    params = dict(part.split("=", 1) for part in authorization.split(" ", 1)[1].split(","))
    claims = json.loads(unb64url(params["t"].split(".")[1]))
    header = json.loads(unb64url(params["t"].split(".")[0]))
    return {
        "plaintext": plaintext.decode(),
        "vapid_valid": valid,
        "k": params["k"],
        "claims": claims,
        "jwt_header": header,
        "rs": struct.unpack("!L", body[16:20])[0],
        "keyid_len": body[20],
    }


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "keys":
        print(json.dumps(keys()))
    elif mode == "open":
        print(json.dumps(open_push(json.load(sys.stdin))))
    else:
        sys.exit("usage: push_tool.py keys | open < request.json")
