#!/usr/bin/env python3
"""Import a Stormpath console export into an Auth0 database connection.

Stormpath's console export (the encrypted ZIP its admins downloaded before the 2017 shutdown,
unpacked) holds one JSON file per account under ``{tenant}/accounts/{directory}/`` (or
``{tenant}/accounts/`` in later exports), with the stored password hash. This script maps each
account to Auth0's bulk-import schema, carries the hashes Auth0 can verify (bcrypt,
``$stormpath1$`` as HMAC-SHA256, single-iteration ``$stormpath2$`` salted digests) as
``custom_password_hash``, uploads files under Auth0's 500 KB limit to
``POST /api/v2/jobs/users-imports``, follows each job and prints its failed users.

Python 3.8 or newer, standard library only::

    AUTH0_URL=https://acme.eu.auth0.com AUTH0_CLIENT_ID=... AUTH0_CLIENT_SECRET=... \\
        python3 stormpath_to_auth0.py --connection stormpath-users ./stormpath-export

Exit code: 0 every account imported, 1 some failed, 2 the import could not run.
"""

import argparse
import email.utils
import json
import os
import pathlib
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

MAX_FILE_BYTES = 500 * 1024
POLL_SECONDS = 0.5
STORMPATH2_DIGESTS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-512": "sha512"}


class Fatal(Exception):
    pass


# --- reading the export ---------------------------------------------------------------------


def read_accounts(root):
    root = pathlib.Path(root)
    if not root.is_dir():
        raise Fatal(f"{root} is not a directory")
    files = sorted(p for p in root.rglob("*.json") if "accounts" in p.relative_to(root).parts[:-1])
    if not files:
        raise Fatal(f"no accounts/*.json under {root}: is this a Stormpath console export?")
    for path in files:
        try:
            yield json.loads(path.read_text(encoding="utf-8"))
        except ValueError as e:
            raise Fatal(f"{path}: not JSON ({e})") from e


# --- Stormpath account -> Auth0 user ------------------------------------------------------


def password_hash(mcf):
    """The Auth0 custom_password_hash for a Stormpath MCF hash, or None when Auth0 cannot verify it."""
    if not mcf:
        return None
    if mcf.startswith(("$2a$", "$2b$")):
        return {"algorithm": "bcrypt", "hash": {"value": mcf, "encoding": "utf8"}}
    parts = mcf.split("$")
    if mcf.startswith("$stormpath1$") and len(parts) == 4:
        _, _, salt, digest = parts
        return {
            "algorithm": "hmac",
            "hash": {
                "value": digest,
                "encoding": "base64",
                "digest": "sha256",
                "key": {"value": salt, "encoding": "base64"},
            },
        }
    if mcf.startswith("$stormpath2$") and len(parts) == 6:
        _, _, algorithm, iterations, salt, digest = parts
        if algorithm not in STORMPATH2_DIGESTS or iterations != "1":
            return None
        spec = {"algorithm": STORMPATH2_DIGESTS[algorithm], "hash": {"value": digest, "encoding": "base64"}}
        if salt:
            spec["salt"] = {"value": salt, "encoding": "base64", "position": "prefix"}
        return spec
    return None


RESERVED = {"href", "createdAt", "modifiedAt", "id"}


def to_auth0(account):
    if not account.get("email"):
        return None, None
    user = {
        "user_id": account["id"],
        "email": account["email"].lower(),
        "email_verified": account.get("emailVerificationStatus") == "VERIFIED",
        "app_metadata": {"stormpath_href": account.get("href")},
    }
    if account.get("username") and account["username"] != account["email"]:
        user["username"] = account["username"]
    for ours, theirs in (("given_name", "givenName"), ("family_name", "surname"), ("name", "fullName")):
        if account.get(theirs):
            user[ours] = account[theirs]
    if account.get("status") == "DISABLED":
        user["blocked"] = True
    custom = {k: v for k, v in (account.get("customData") or {}).items() if k not in RESERVED}
    if custom:
        user["user_metadata"] = custom
    spec = password_hash(account.get("password"))
    if spec:
        user["custom_password_hash"] = spec
    return user, spec is None


def pack(users):
    files, current, size = [], [], 2
    for user in users:
        n = len(json.dumps(user).encode()) + 1
        if current and size + n > MAX_FILE_BYTES:
            files.append(current)
            current, size = [], 2
        current.append(user)
        size += n
    if current:
        files.append(current)
    return files


# --- Management API -------------------------------------------------------------------------


def rate_limit_wait(headers):
    """Seconds to wait after a 429: Retry-After, else X-RateLimit-Reset (an epoch second on the
    server's clock) measured against the answer's own Date header rather than this machine's
    clock, at least 1 s."""
    retry_after = headers.get("Retry-After")
    if retry_after:
        try:
            return max(1.0, float(retry_after))
        except ValueError:
            pass
    try:
        reset = float(headers.get("X-RateLimit-Reset") or 0)
    except ValueError:
        reset = 0
    if reset <= 0:
        return 1.0
    server_now = time.time()
    date = headers.get("Date")
    if date:
        try:
            server_now = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            pass
    return max(1.0, reset - server_now)


class Auth0:
    def __init__(self, base_url, client_id, client_secret, audience):
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.audience = audience
        self.token = None

    def call(self, method, path, body=None, content_type=None):
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if content_type:
            headers["Content-Type"] = content_type
        for attempt in range(10):
            request = urllib.request.Request(self.base_url + path, data=body, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    text = response.read().decode("utf-8")
                    return json.loads(text) if text else None
            except urllib.error.HTTPError as e:
                text = e.read().decode("utf-8", "replace")
                if e.code == 429 and attempt < 9:
                    wait = rate_limit_wait(e.headers)
                    print(f"rate limited on {method} {path}; retrying in {wait:.0f} s", file=sys.stderr)
                    time.sleep(min(wait, 30))
                    continue
                try:
                    data = json.loads(text)
                    why = data.get("message") or data.get("error_description") or data.get("error") or text
                except ValueError:
                    why = text
                raise Fatal(f"{method} {path}: {e.code} {why}") from None
            except urllib.error.URLError as e:
                raise Fatal(f"{method} {path}: {e.reason}") from None
        raise Fatal(f"{method} {path}: still rate limited")

    def login(self):
        body = json.dumps(
            {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "audience": self.audience,
            }
        ).encode()
        self.token = self.call("POST", "/oauth/token", body, "application/json")["access_token"]

    def connection_id(self, name):
        query = urllib.parse.urlencode({"name": name, "strategy": "auth0"})
        for connection in self.call("GET", f"/api/v2/connections?{query}"):
            if connection["name"] == name:
                return connection["id"]
        raise Fatal(f"Auth0 has no database connection named {name}")

    def import_users(self, connection_id, users, upsert, n):
        boundary = uuid.uuid4().hex
        fields = [
            ("connection_id", connection_id),
            ("upsert", "true" if upsert else "false"),
            ("external_id", f"stormpath-import-{n}"),
            ("send_completion_email", "false"),
        ]
        body = b""
        for name, value in fields:
            body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        body += (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="users"; filename="users-{n}.json"\r\n'
            "Content-Type: application/json\r\n\r\n"
        ).encode()
        body += json.dumps(users).encode() + f"\r\n--{boundary}--\r\n".encode()
        job = self.call("POST", "/api/v2/jobs/users-imports", body, f"multipart/form-data; boundary={boundary}")
        print(f"file {n}: {len(users)} users, job {job['id']}")
        while True:
            status = self.call("GET", f"/api/v2/jobs/{job['id']}")
            if status["status"] == "completed":
                errors = self.call("GET", f"/api/v2/jobs/{job['id']}/errors") if status["summary"]["failed"] else []
                return status["summary"], errors or []
            if status["status"] == "failed":
                raise Fatal(f"job {job['id']} failed: {json.dumps(status)}")
            time.sleep(POLL_SECONDS)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connection", required=True)
    parser.add_argument("--upsert", action="store_true")
    parser.add_argument("export_dir")
    args = parser.parse_args()

    def need(name):
        value = os.environ.get(name)
        if not value:
            raise Fatal(f"{name} is not set")
        return value

    base_url = need("AUTH0_URL")
    auth0 = Auth0(base_url, need("AUTH0_CLIENT_ID"), need("AUTH0_CLIENT_SECRET"),
                  os.environ.get("AUTH0_AUDIENCE") or base_url.rstrip("/") + "/api/v2/")

    accounts = list(read_accounts(args.export_dir))
    users, resets = [], []
    for account in accounts:
        user, reset = to_auth0(account)
        if user is None:
            print(f"skipped {account.get('id')}: no email")
            continue
        users.append(user)
        if reset:
            resets.append(user["email"])

    auth0.login()
    connection_id = auth0.connection_id(args.connection)
    totals = {"inserted": 0, "updated": 0, "failed": 0}
    for n, users_file in enumerate(pack(users), start=1):
        summary, errors = auth0.import_users(connection_id, users_file, args.upsert, n)
        for key in totals:
            totals[key] += summary[key]
        for failed in errors:
            reasons = "; ".join(f"{e['code']}: {e['message']}" for e in failed["errors"])
            print(f"failed {failed['user'].get('email')}: {reasons}")
    for email in resets:
        print(f"needs a password reset: {email}")
    print(
        f"imported {len(users)} of {len(accounts)} accounts: {totals['inserted']} inserted, "
        f"{totals['updated']} updated, {totals['failed']} failed, {len(resets)} without a usable hash"
    )
    return 1 if totals["failed"] else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Fatal as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
