"""Two-factor set-up and sign-in in system Chromium against the real server, under the
strict CSP (the QR code is inline SVG)."""

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.support.browser import log_in
from tests.support.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.one_pass]


def code_for(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def test_set_up_two_factor_then_sign_in_with_a_recovery_code(live_web, page, transactional_db):
    org = OrganizationFactory(name="Acme", slug="acme")
    user = UserFactory(username="tess")
    MembershipFactory(user=user, organization=org, role="owner")
    log_in(page, live_web, "tess")
    page.click("text=Two-factor")
    page.click("text=Set up an authenticator app")
    assert page.locator(".qr svg").is_visible()
    page.fill("#id_code", code_for(user))
    page.click("main button.primary")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10

    page.click("header button:has-text('Log out')")
    page.goto(live_web + "/")
    page.fill("#id_username", "tess")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/2fa/verify/**")
    page.fill("#id_code", codes[0])
    page.click("main button.primary")
    page.wait_for_url(live_web + "/")
    assert "Acme" in page.inner_text("main")
