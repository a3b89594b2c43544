"""/healthz: JSON status of the app and the database; 503 when the database cannot be reached."""
import socket

import pytest
import sqlalchemy as sa

from supportdesk.extensions import db


def closed_loopback_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once the socket is closed


def test_healthz_ok(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.is_json
    assert resp.get_json() == {"status": "ok", "app": "ok", "database": "ok"}


@pytest.mark.parametrize("uri", [
    pytest.param(lambda tmp: f"postgresql://postgres@127.0.0.1:{closed_loopback_port()}/test"
                             "?connect_timeout=2", id="postgresql-closed-port"),
    pytest.param(lambda tmp: "sqlite:///" + str(tmp / "no-such-dir" / "db.sqlite3"),
                 id="sqlite-unopenable-path"),
])
def test_healthz_503_when_database_unreachable(make_app, tmp_path, uri):
    app = make_app(SQLALCHEMY_DATABASE_URI=uri(tmp_path))
    with app.app_context():
        # The database really is unreachable: a plain connection attempt fails.
        with pytest.raises(sa.exc.OperationalError):
            with db.engine.connect():
                pass
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "degraded", "app": "ok", "database": "unavailable"}
