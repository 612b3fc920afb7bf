"""Schemathesis fuzzes every operation from the app's own OpenAPI schema: no input gives a 5xx.

(Schemathesis's pytest plugin does not load under pytest 9 here, so each operation's
hypothesis strategy is driven directly.)
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from autocompose.serve.app import create_app


def test_no_operation_returns_a_server_error(engine):
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(engine))
    operations = [getattr(op, "ok", lambda op=op: op)() for op in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/search", "/describe", "/poses/{pose_id}.png", "/health"}
    seen: dict[str, set[int]] = {}
    for op in operations:

        @given(case=op.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case) -> None:
            response = case.call()
            seen.setdefault(f"{case.method} {case.path}", set()).add(response.status_code)
            assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])

        check()
    assert any(code < 300 for codes in seen.values() for code in codes)  # not only rejections
    assert any(400 <= code < 500 for codes in seen.values() for code in codes)
