"""Links to the full report without keeping state: the report's input travels, encrypted and
signed (Fernet, from `cryptography`), in the link itself and expires after REPORT_TTL seconds.

Any worker or replica that shares the key (ADVISOR_CDS_REPORT_KEY) can serve any link; nothing
about the patient is stored, and the link reveals nothing without the key.
"""

from __future__ import annotations

import zlib
from typing import Any

import orjson

REPORT_TTL = 24 * 3600


class BadToken(Exception):
    pass


def new_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def seal(data: dict[str, Any], key: str) -> str:
    from cryptography.fernet import Fernet

    return Fernet(key.encode()).encrypt(zlib.compress(orjson.dumps(data), 6)).decode()


def unseal(token: str, key: str, ttl: int = REPORT_TTL) -> dict[str, Any]:
    from cryptography.fernet import Fernet, InvalidToken

    try:
        return orjson.loads(zlib.decompress(Fernet(key.encode()).decrypt(token.encode(), ttl=ttl)))
    except (InvalidToken, ValueError, zlib.error) as exc:
        raise BadToken("the report link is invalid or has expired") from exc
