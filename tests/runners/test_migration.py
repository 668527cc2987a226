"""The migration tested from Python's unittest against `ferry serve`::

    ferry serve --seed tests/runners/seed.yaml --env-file .ferry.env &
    FERRY_ENV_FILE=.ferry.env python3 -m unittest tests/runners/test_migration.py

Nothing is hard-coded: the mock Auth0's URL and the applications' credentials come from the env
file ferry serve writes once every mock answers (read here without python-dotenv; with it,
``dotenv.load_dotenv(path)`` does the same).
"""

import json
import os
import unittest
import urllib.error
import urllib.request


def load_env_file(path):
    """NAME='value' and NAME="value" lines, as ferry serve writes them."""
    values = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            name, value = line.split("=", 1)
            if value[:1] == "'" and value[-1:] == "'":
                value = value[1:-1]
            elif value[:1] == '"' and value[-1:] == '"':
                value = value[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
            values[name] = value
    return values


ENV = load_env_file(os.environ.get("FERRY_ENV_FILE", ".ferry.env"))
AUTH0 = ENV["FERRY_AUTH0_URL"]


def post(path, body, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(AUTH0 + path, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def login(username, password):
    return post("/oauth/token", {
        "grant_type": "http://auth0.com/oauth/grant-type/password-realm",
        "realm": "okta-users",
        "username": username,
        "password": password,
        "client_id": ENV["FERRY_AUTH0_APP_CLIENT_ID"],
        "client_secret": ENV["FERRY_AUTH0_APP_CLIENT_SECRET"],
        "scope": "openid profile email",
    })


class Migration(unittest.TestCase):
    def test_a_user_only_in_okta_signs_in_and_is_migrated(self):
        status, body = login("dade.murphy@example.com", "Hunter2!zero")
        self.assertEqual(status, 200, body)
        status, body = post("/oauth/token", {
            "grant_type": "client_credentials",
            "client_id": ENV["FERRY_AUTH0_CLIENT_ID"],
            "client_secret": ENV["FERRY_AUTH0_CLIENT_SECRET"],
            "audience": ENV["FERRY_AUTH0_AUDIENCE"],
        })
        self.assertEqual(status, 200, body)
        request = urllib.request.Request(
            AUTH0 + "/api/v2/users-by-email?email=dade.murphy%40example.com",
            headers={"Authorization": f"Bearer {body['access_token']}"},
        )
        with urllib.request.urlopen(request) as response:
            [user] = json.load(response)
        self.assertEqual(user["name"], "Dade Murphy")
        self.assertEqual(user["identities"][0]["connection"], "okta-users")

    def test_a_wrong_password_is_refused(self):
        status, body = login("dade.murphy@example.com", "not-the-password")
        self.assertEqual((status, body["error"]), (403, "invalid_grant"))


if __name__ == "__main__":
    unittest.main()
