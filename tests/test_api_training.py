"""Training over the API: the pages' scoping (courses open to the caller, their own
municipality's applications, another municipality's course 404), applying with a write token,
and the OpenAPI document listing the paths."""
from datetime import date

from supportdesk.extensions import db
from tests.factories import make_liaison, make_staff
from tests.test_api import bearer
from tests.test_training import make_course


def test_courses_applications_and_trainees_with_the_pages_scoping(app, client):
    liaison = make_liaison("西播磨")
    sayo = make_staff("佐用町")
    make_staff("佐用町", info_dept=True)  # who approves 佐用町's applications
    kamikawa = make_staff("神河町", info_dept=True)
    toyooka = make_staff("豊岡市", info_dept=True)
    course = make_course(liaison, apply_by=date(2099, 1, 1), starts_on=date(2099, 1, 2),
                         ends_on=date(2099, 1, 2))
    db.session.commit()
    url = f"/api/v1/training/courses/{course.id}"

    assert [c["id"] for c in client.get("/api/v1/training/courses",
                                        headers=bearer(sayo)).get_json()["items"]] == [course.id]
    assert client.get("/api/v1/training/courses", headers=bearer(toyooka)).get_json()[
        "items"] == []
    assert client.get(url, headers=bearer(toyooka)).status_code == 404
    assert client.post(f"{url}/applications", json={}, headers=bearer(toyooka, "write")
                       ).status_code == 404
    assert client.post(f"{url}/applications", json={}, headers=bearer(sayo)).status_code == 403
    made = client.post(f"{url}/applications", json={"note": "受講したい"},
                       headers=bearer(sayo, "write"))
    assert made.status_code == 201 and made.get_json()["status"] == "pending"
    again = client.post(f"{url}/applications", json={}, headers=bearer(sayo, "write"))
    assert again.status_code == 422
    assert client.post(f"{url}/applications", json={},
                       headers=bearer(kamikawa, "write")).status_code == 201
    own = client.get(f"{url}/applications", headers=bearer(sayo)).get_json()["items"]
    assert [a["municipality_code"] for a in own] == ["28501"]
    every = client.get(f"{url}/applications", headers=bearer(liaison)).get_json()["items"]
    assert sorted(a["municipality_code"] for a in every) == ["28446", "28501"]
    one = client.get(url, headers=bearer(liaison)).get_json()
    assert one["seats_taken"] == 0 and one["materials"] == []
    assert client.get("/api/v1/training/trainees", headers=bearer(sayo)).get_json()[
        "items"] == []
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/training/courses/{course_id}/applications",
            "/api/v1/training/trainees"} <= set(paths)
