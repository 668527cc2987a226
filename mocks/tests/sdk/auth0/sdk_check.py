"""Drives the official Auth0 Python SDK (PyPI `auth0-python`) against a mock Auth0 and prints what
the SDK returned as one JSON line. Run by mocks/tests/auth0_sdk.rs; by hand:

    FERRY_AUTH0_BASE_URL=http://127.0.0.1:PORT FERRY_AUTH0_DOMAIN=ferry-sdk.eu.auth0.com \\
    FERRY_APP_ID=... FERRY_APP_SECRET=... FERRY_M2M_ID=... FERRY_M2M_SECRET=... \\
    FERRY_CONNECTION_ID=con_... .venv/bin/python sdk_check.py users.json

How the SDK reaches the mock: the Authentication API classes take `protocol="http"` ("useful for
testing", says the SDK) and a domain with a port; the generated Management API client
(`auth0.management.Auth0`) takes a `base_url`. Tokens are asked for the tenant's real domain
(the audience `https://{domain}/api/v2/`), which the mock accepts when its `settings.domain` is
set, and the ID token is checked with the SDK's `TokenVerifier` against the mock's JWKS.
"""

import json
import os
import sys
import time
from urllib.parse import urlparse

from auth0.authentication import Database, GetToken, Users
from auth0.authentication.token_verifier import AsymmetricSignatureVerifier, TokenVerifier
from auth0.authentication.exceptions import Auth0Error
from auth0.management import Auth0

BASE = os.environ["FERRY_AUTH0_BASE_URL"]
HOST = urlparse(BASE).netloc
DOMAIN = os.environ["FERRY_AUTH0_DOMAIN"]


def auth_failure(call):
    try:
        call()
    except Auth0Error as e:
        return {"status_code": e.status_code, "error_code": e.error_code, "message": e.message}
    return None


def api_failure(call):
    try:
        call()
    except Exception as e:  # the generated client's ApiError subclasses
        status = getattr(e, "status_code", None)
        if status is None:
            raise
        return {"name": type(e).__name__, "status_code": status, "body": getattr(e, "body", None)}
    return None


def dump(model):
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)


def main():
    users_file = sys.argv[1]
    out = {}

    # ---- Authentication API
    app_id = os.environ["FERRY_APP_ID"]
    app = GetToken(HOST, app_id, client_secret=os.environ["FERRY_APP_SECRET"], protocol="http")
    login = app.login("Dade.Murphy@example.com", "Hunter2!", realm="users", scope="openid profile email")
    out["login"] = {key: login[key] for key in ("token_type", "expires_in", "scope")}
    out["login"]["keys"] = sorted(login)
    verifier = TokenVerifier(
        signature_verifier=AsymmetricSignatureVerifier(f"{BASE}/.well-known/jwks.json"),
        issuer=f"https://{DOMAIN}/",
        audience=app_id,
    )
    out["id_token"] = verifier.verify(login["id_token"])
    # The access token (no audience asked) is opaque; the SDK's userinfo call takes it.
    out["access_token_parts"] = len(login["access_token"].split("."))
    out["userinfo"] = Users(HOST, protocol="http").userinfo(login["access_token"])
    out["wrongPassword"] = auth_failure(
        lambda: app.login("dade.murphy@example.com", "hunter2", realm="users")
    )
    out["blocked"] = auth_failure(lambda: app.login("kate.libby@example.com", "Acid-Burn-1", realm="users"))
    database = Database(HOST, app_id, protocol="http")
    out["changePassword"] = database.change_password("dade.murphy@example.com", "users")

    m2m = GetToken(HOST, os.environ["FERRY_M2M_ID"], client_secret=os.environ["FERRY_M2M_SECRET"], protocol="http")
    token = m2m.client_credentials(f"https://{DOMAIN}/api/v2/")
    out["clientCredentials"] = {"keys": sorted(token), "token_type": token["token_type"], "expires_in": token["expires_in"]}

    # ---- Management API
    management = Auth0(base_url=f"{BASE}/api/v2", token=token["access_token"])
    found = management.users.list(q='email:"dade.murphy@example.com"', search_engine="v3")
    out["search"] = [user.user_id for user in found]
    out["listed"] = [user.user_id for user in management.users.list(per_page=2)]
    dade = management.users.get("auth0|dade")
    out["user"] = dump(dade)
    out["missing"] = api_failure(lambda: management.users.get("auth0|nobody"))
    out["byEmail"] = [user.user_id for user in management.users.list_users_by_email(email="dade.murphy@example.com")]
    out["connections"] = [connection.name for connection in management.connections.list()]

    with open(users_file, "rb") as users:
        job = management.jobs.users_imports.create(
            users=("users.json", users, "application/json"),
            connection_id=os.environ["FERRY_CONNECTION_ID"],
            external_id="sdk-import-py",
        )
    out["job"] = dump(job)
    done = job
    for _ in range(500):
        if done.status not in ("pending", "processing"):
            break
        time.sleep(0.02)
        done = management.jobs.get(job.id)
    out["finished"] = dump(done)
    errors = management.jobs.errors.get(job.id)
    out["errors"] = [dump(e) if hasattr(e, "model_dump") else e for e in errors] if isinstance(errors, list) else dump(errors)
    out["badToken"] = api_failure(lambda: Auth0(base_url=f"{BASE}/api/v2", token="not-a-token").users.get("auth0|dade"))

    print(json.dumps(out))


if __name__ == "__main__":
    main()
