"""Runs schemathesis against a gateway that is up: signs in as its first admin, makes an admin
API token, and tests every operation of the served API description for SECONDS. Fails on a 5xx
answer or on an error body out of the documented shape (see hooks.py).

Usage: run.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD SECONDS REPORT_DIR
"""

import http.cookiejar
import json
import os
import subprocess
import sys
import urllib.request


def main() -> int:
    base, email, password, seconds, reports = sys.argv[1:6]
    cookies = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))

    def post(path: str, body: dict) -> dict:
        request = urllib.request.Request(
            base + path,
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json", "origin": base},
            method="POST",
        )
        with opener.open(request) as answer:
            return json.loads(answer.read() or b"{}")

    post("/api/v1/auth/login", {"email": email, "password": password})
    token = post("/api/v1/api-tokens", {"name": "api fuzzing", "scope": "admin"})["token"]
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, SCHEMATHESIS_HOOKS="hooks", PYTHONPATH=here)
    st = os.path.join(os.path.dirname(sys.executable), "st")
    return subprocess.call(
        [
            st,
            "run",
            base + "/api/v1/openapi.json",
            "--url",
            base,
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "not_a_server_error,errors_have_the_documented_shape",
            "--max-time",
            seconds,
            "--continue-on-failure",
            # Revoking its own token would leave the rest of the run signed out.
            "--exclude-path",
            "/api/v1/api-tokens/{id}",
            "--report",
            "junit",
            "--report-dir",
            reports,
        ],
        env=env,
    )


if __name__ == "__main__":
    sys.exit(main())
