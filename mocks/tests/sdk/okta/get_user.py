"""Drives the official Okta Python SDK (PyPI `okta`) against a mock Okta and prints what the SDK
returned as one JSON line. Run by mocks/tests/okta_sdk.rs; by hand:

    FERRY_OKTA_BASE_URL=http://127.0.0.1:PORT FERRY_OKTA_API_TOKEN=00ferry-okta-api-token \
        .venv/bin/python get_user.py dade.murphy@example.com

or over HTTPS: FERRY_OKTA_BASE_URL=https://127.0.0.1:PORT SSL_CERT_FILE=ferry-ca.pem ...
"""

import asyncio
import json
import os
import sys

# The SDK refuses an http:// org URL unless its test-only switch is on, which it reads only from
# the environment or an okta.yaml (the `testing` section of a config dict passed to Client is
# ignored). Set only for the mock's plain http; over https (the CA trusted through
# SSL_CERT_FILE, which aiohttp's default SSL context reads) the SDK runs as it ships.
if os.environ["FERRY_OKTA_BASE_URL"].startswith("http://"):
    os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "true"

from okta.client import Client as OktaClient  # noqa: E402
from okta.pagination import PaginationHelper  # noqa: E402


def pick(user):
    profile = user.profile
    return {
        "id": user.id,
        "status": str(getattr(user.status, "value", user.status)),
        "login": profile.login,
        "email": profile.email,
        "firstName": profile.first_name,
        "lastName": profile.last_name,
    }


async def main():
    login = sys.argv[1]
    config = {
        "orgUrl": os.environ["FERRY_OKTA_BASE_URL"],
        "token": os.environ["FERRY_OKTA_API_TOKEN"],
        "rateLimit": {"maxRetries": 0},
    }
    async with OktaClient(config) as client:
        by_login, _, err = await client.get_user(login)
        if err:
            raise RuntimeError(f"get_user({login}): {err}")
        by_id, _, err = await client.get_user(by_login.id)
        if err:
            raise RuntimeError(f"get_user({by_login.id}): {err}")
        # Page by hand, the way the SDK's own paginate_all does: the next cursor comes from the
        # rel="next" Link header.
        listed, after, pages = [], None, 0
        while pages < 10:
            pages += 1
            users, resp, err = await client.list_users(limit=2, after=after)
            if err:
                raise RuntimeError(f"list_users: {err}")
            listed.extend(u.id for u in users)
            after = PaginationHelper.extract_next_cursor(resp.headers)
            if not after:
                break
        _, _, missing = await client.get_user("nobody@example.com")
    print(json.dumps({
        "byLogin": pick(by_login),
        "byId": pick(by_id),
        "listed": listed,
        "missing": str(missing) if missing else None,
    }))


asyncio.run(main())
