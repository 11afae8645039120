"""A check for `cargo xtask api-fuzz`: every refusal the gateway answers has the error shape
its API description promises, `{"error": {"code": "...", "message": "..."}}`."""

import json

import schemathesis


@schemathesis.check
def errors_have_the_documented_shape(ctx, response, case):
    """A 4xx or 5xx answer is a JSON error body with a code and a message."""
    if response.status_code < 400:
        return
    try:
        body = json.loads(response.content or b"")
    except ValueError:
        raise AssertionError(
            f"a {response.status_code} answer is not JSON: {(response.content or b'')[:200]!r}"
        )
    error = body.get("error") if isinstance(body, dict) else None
    if not (
        isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and isinstance(error.get("message"), str)
    ):
        raise AssertionError(f"a {response.status_code} answer is not an error body: {str(body)[:300]}")
