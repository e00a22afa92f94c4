"""The one refusal type: reason, detail, the Sentry status."""

import pytest

from events.wire.refusal import Refusal

pytestmark = pytest.mark.one_pass

# --- Refusal ---------------------------------------------------------------------


def test_refusal_carries_its_reason_and_the_sentry_status():
    err = Refusal("bad_json", "bad thing")
    assert (err.reason, err.detail, err.status, str(err)) == (
        "bad_json",
        "bad thing",
        400,
        "bad thing",
    )
    assert Refusal("too_large", "gone").status == 413
    assert err.retry_after is None
