"""The spine works end to end through the test client: login, home, logout."""
from tests.factories import make_staff


def test_staff_login_lands_on_own_municipality_and_logout_ends_session(client, app):
    user = make_staff("佐用町")
    resp = client.post("/login", data={"email": user.email, "password": "correct horse battery staple"})
    assert resp.status_code == 302
    page = client.get("/", follow_redirects=True)
    assert page.status_code == 200
    assert "佐用町" in page.get_data(as_text=True)
    cookie = client.get_cookie("supportdesk")
    assert cookie is not None
    client.post("/logout")
    # Replaying the cookie captured before logout no longer opens the page.
    client.set_cookie("supportdesk", cookie.value)
    assert client.get("/municipalities/28501").status_code == 302
