"""Drives the official Auth0 Python SDK (PyPI `auth0-python`) against a mock Auth0 served over
HTTPS, the way a user's own code would call it: the domain is `127.0.0.1:PORT` and nothing else
changes (no `protocol="http"`, no `base_url`). `GetToken` and the `TokenVerifier`'s JWKS
download go through `requests`, which trusts `REQUESTS_CA_BUNDLE`; `ManagementClient` (client
credentials, its own token) goes through httpx, which trusts `SSL_CERT_FILE`: the two lines
`ferry serve --tls` prints for Python. Run by mocks/tests/auth0_sdk.rs; by hand:

    REQUESTS_CA_BUNDLE=ferry-ca.pem SSL_CERT_FILE=ferry-ca.pem FERRY_AUTH0_DOMAIN=127.0.0.1:PORT \\
    FERRY_APP_ID=... FERRY_APP_SECRET=... FERRY_M2M_ID=... FERRY_M2M_SECRET=... \\
    .venv/bin/python sdk_https.py
"""

import json
import os

from auth0.authentication import GetToken
from auth0.authentication.token_verifier import AsymmetricSignatureVerifier, TokenVerifier
from auth0.management import ManagementClient

DOMAIN = os.environ["FERRY_AUTH0_DOMAIN"]


def main():
    out = {}
    app_id = os.environ["FERRY_APP_ID"]
    app = GetToken(DOMAIN, app_id, client_secret=os.environ["FERRY_APP_SECRET"])
    login = app.login("dade.murphy@example.com", "Hunter2!", realm="users", scope="openid profile email")
    verifier = TokenVerifier(
        signature_verifier=AsymmetricSignatureVerifier(f"https://{DOMAIN}/.well-known/jwks.json"),
        issuer=f"https://{DOMAIN}/",
        audience=app_id,
    )
    out["id_token"] = verifier.verify(login["id_token"])

    management = ManagementClient(
        domain=DOMAIN,
        client_id=os.environ["FERRY_M2M_ID"],
        client_secret=os.environ["FERRY_M2M_SECRET"],
    )
    out["listed"] = [user.user_id for user in management.users.list(per_page=2)]
    out["user"] = management.users.get("auth0|dade").user_id
    print(json.dumps(out))


if __name__ == "__main__":
    main()
