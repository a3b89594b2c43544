"""Shared steps of the browser journeys."""
from tests.factories import PASSWORD


def login(page, base, email, password=PASSWORD):
    """Log in through the form and wait until the browser has left the login page."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button.primary")
    page.wait_for_url(lambda url: "/login" not in url)
