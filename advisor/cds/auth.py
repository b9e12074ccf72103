"""Optional check of the calling EHR's bearer token (CDS Hooks 2.0 JWT), with PyJWT.

Off unless configured. HS256 with a shared secret (ADVISOR_CDS_JWT_SECRET), or RS256 /
RS384 / ES384 with the EHR's public keys in a JWKS file (ADVISOR_CDS_JWKS); optionally the
expected audience (this service's URL, ADVISOR_CDS_JWT_AUDIENCE) and issuers
(ADVISOR_CDS_JWT_ISSUERS, comma-separated). exp, iat and iss are required claims.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ASYMMETRIC = ["RS256", "RS384", "ES384"]


class AuthError(Exception):
    pass


@dataclass(frozen=True)
class JwtCheck:
    secret: str | None = None
    jwks_path: str | None = None
    audience: str | None = None
    issuers: tuple[str, ...] = ()

    @property
    def enabled(self) -> bool:
        return bool(self.secret or self.jwks_path)

    def keys(self) -> dict[str, object]:
        import jwt

        try:
            data = json.loads(Path(self.jwks_path).read_text(encoding="utf-8"))  # type: ignore[arg-type]
            keyset = jwt.PyJWKSet.from_dict(data)
        except (OSError, ValueError, jwt.PyJWTError) as exc:
            raise RuntimeError(f"ADVISOR_CDS_JWKS {self.jwks_path}: not a readable JWKS file ({exc})") from None
        return {k.key_id or "": k for k in keyset.keys}

    def verify(self, authorization: str | None, keys: dict[str, object] | None = None) -> dict:
        """The token's claims; AuthError with a short reason (no token content) otherwise."""
        import jwt

        if not authorization or not authorization.startswith("Bearer "):
            raise AuthError("a bearer token is required")
        token = authorization[len("Bearer "):].strip()
        try:
            header = jwt.get_unverified_header(token)
            alg = header.get("alg")
            if self.secret and alg == "HS256":
                key: object = self.secret
            elif keys is not None and alg in ASYMMETRIC:
                jwk = keys.get(header.get("kid") or "") or (next(iter(keys.values())) if len(keys) == 1 else None)
                if jwk is None:
                    raise AuthError("the token's key id is not in the configured JWKS")
                key = jwk.key  # type: ignore[attr-defined]
            else:
                raise AuthError(f"signing algorithm {alg!r} is not accepted")
            claims = jwt.decode(token, key, algorithms=[alg], audience=self.audience,
                                options={"require": ["exp", "iat", "iss"], "verify_aud": self.audience is not None})
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {type(exc).__name__}") from None
        if self.issuers and claims.get("iss") not in self.issuers:
            raise AuthError("the token's issuer is not accepted")
        return claims
