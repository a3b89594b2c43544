"""Shared steps of the browser journeys."""
from tests.factories import PASSWORD


def login(page, base, email, password=PASSWORD):
    """Log in through the form and wait until the browser has left the login page."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button.primary")
    page.wait_for_url(lambda url: "/login" not in url)


def logout(page):
    page.click("[data-testid=logout]")
    page.wait_for_url("**/login")


def write_visit_record(page, visit_url, **fields):
    """Open the visit, write its 実施記録 (fields by input id, e.g. covered="...") and save."""
    page.goto(visit_url)
    page.click("text=実施記録を書く")
    for field_id, value in fields.items():
        page.fill(f"#{field_id}", str(value))
    page.click("button.primary")
    page.wait_for_selector("text=実施記録を保存しました")


def rate_visit(page, visit_url, rating, comment=""):
    """As the municipality: answer the visit's 満足度アンケート."""
    page.goto(visit_url)
    page.click("text=満足度アンケートに回答する")
    page.check(f"input[name=rating][value='{rating}']")
    page.fill("#comment", comment)
    page.click("button.primary")
    page.wait_for_selector("text=ご回答ありがとうございました")
