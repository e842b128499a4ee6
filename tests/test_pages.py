"""The HTML pages: forms with inline errors, flashes, authorisation, CSRF, error pages, languages."""
import re

import pytest

from volunteer_hub import create_app
from volunteer_hub.teams.services import membership


def login(client, user, password="Passw0rd!"):
    response = client.post("/login", data={"phone": user.phone, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def text(response):
    return response.get_data(as_text=True)


def test_home_for_anonymous_and_language_default(world, client):
    page = client.get("/")
    assert page.status_code == 200
    assert 'lang="zh-CN"' in text(page) and "注册志愿者" in text(page)


def test_signup_shows_inline_errors_then_succeeds(world, client, phone_code):
    page = client.get("/signup")
    assert world.s1.name in text(page)
    bad = client.post("/signup", data={"name": "新人", "phone": "123", "password": "abc",
                                       "home_station_id": world.s1.id, "id_number": "110105194912310021"})
    assert bad.status_code == 422
    body = text(bad)
    assert 'id="phone-error"' in body and 'id="password-error"' in body and 'aria-invalid="true"' in body
    good = client.post("/signup", data={"name": "新人", "phone": "13512345678", "code": phone_code("13512345678"),
                                        "password": "Passw0rd!",
                                        "home_station_id": world.s1.id, "id_number": "11010519491231002X",
                                        "skills": "急救，摄影"}, follow_redirects=True)
    assert good.status_code == 200 and "新人" in text(good) and 'class="flash flash-success"' in text(good)
    profile = client.get("/me")
    assert "1101**********002X" in text(profile) and "11010519491231002X" not in text(profile)
    assert "135****5678" in text(profile)


def test_login_failures_and_safe_redirect(world, client):
    bad = client.post("/login", data={"phone": world.volunteer.phone, "password": "wrong-pass1"})
    assert bad.status_code == 422 and 'role="alert"' in text(bad)
    ok = client.post("/login?next=https://evil.example/", data={"phone": world.volunteer.phone,
                                                               "password": "Passw0rd!"})
    assert ok.headers["Location"] == "/"
    client.post("/logout")
    ok = client.post("/login?next=/teams", data={"phone": world.volunteer.phone, "password": "Passw0rd!"})
    assert ok.headers["Location"] == "/teams"


def test_pages_need_login(world, client):
    for url in ("/me", "/teams", "/nodes", f"/teams/{world.team.id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_profile_update(world, client):
    login(client, world.volunteer)
    response = client.post("/me", data={"name": "志愿者甲", "home_station_id": world.s2.id,
                                        "id_number": "", "skills": "书法"}, follow_redirects=True)
    assert response.status_code == 200 and "书法" in text(response)
    bad = client.post("/me", data={"name": "志愿者甲", "home_station_id": world.s2.id, "id_number": "123"})
    assert bad.status_code == 422 and 'id="id_number-error"' in text(bad)


def test_non_volunteer_profile_has_no_volunteer_fields(world, client):
    login(client, world.s1_manager)
    page = client.get("/me")
    assert page.status_code == 200 and 'name="id_number"' not in text(page)
    assert client.post("/me", data={"name": "新站长"}, follow_redirects=True).status_code == 200


def test_team_list_filters_and_empty_state(world, client):
    login(client, world.volunteer)
    page = client.get("/teams")
    assert world.team.name in text(page)
    empty = client.get("/teams?category=legal")
    assert "No team matches" in text(empty) or "没有符合" in text(empty)
    assert world.team.name not in text(empty)


def test_join_a_team_and_leader_approves(world, app):
    volunteer = login(app.test_client(), world.volunteer)
    page = volunteer.get(f"/teams/{world.team.id}")
    join_url = f"/teams/{world.team.id}/members/{world.volunteer.id}/join"
    assert join_url in text(page)
    assert volunteer.post(join_url, follow_redirects=True).status_code == 200
    leader = login(app.test_client(), world.leader)
    page = text(leader.get(f"/teams/{world.team.id}"))
    accept_url = f"/teams/{world.team.id}/members/{world.volunteer.id}/accept"
    assert accept_url in page
    # A plain member cannot approve; the attempt is refused (403, with the reason) and changes nothing.
    other = login(app.test_client(), world.s2_volunteer)
    refused = other.post(accept_url, follow_redirects=True)
    assert refused.status_code == 403 and "队长" in text(refused)
    assert membership(world.team, world.volunteer).status == "pending"
    leader.post(accept_url)
    from volunteer_hub.extensions import db

    db.session.expire_all()
    assert membership(world.team, world.volunteer).status == "active"


def test_leader_invites_by_phone(world, client):
    login(client, world.leader)
    done = client.post(f"/teams/{world.team.id}/invite", data={"phone": world.s2_volunteer.phone},
                       follow_redirects=True)
    assert "flash-success" in text(done)
    unknown = client.post(f"/teams/{world.team.id}/invite", data={"phone": "13011112222"}, follow_redirects=True)
    assert "flash-error" in text(unknown)


def test_new_team_page_for_managers_only(world, client):
    login(client, world.volunteer)
    assert client.get("/teams/new").status_code == 403
    client.post("/logout")
    login(client, world.s1_manager)
    page = client.get("/teams/new")
    assert page.status_code == 200 and world.s1.name in text(page) and world.s2.name not in text(page)
    bad = client.post("/teams/new", data={"name": "新队", "category": "legal", "node_id": world.s1.id,
                                          "leader_phone": "13011112222"})
    assert bad.status_code == 422 and 'id="leader_phone-error"' in text(bad)
    good = client.post("/teams/new", data={"name": "新队", "category": "legal", "node_id": world.s1.id,
                                           "leader_phone": world.volunteer.phone}, follow_redirects=True)
    assert good.status_code == 200 and "新队" in text(good)


def test_node_tree_and_node_page(world, client):
    login(client, world.i1_manager)
    tree = text(client.get("/nodes"))
    assert world.s1.name in tree and world.p1.name in tree and world.s3.name not in tree
    assert client.get(f"/nodes/{world.s3.id}").status_code == 403
    added = client.post(f"/nodes/{world.s2.id}/children", data={"name": "西门广场实践点", "kind": "point"},
                        follow_redirects=True)
    assert "西门广场实践点" in text(added)
    bad = client.post(f"/nodes/{world.s2.id}/children", data={"name": "", "kind": "institute"})
    assert bad.status_code == 422 and 'id="name-error"' in text(bad)
    appointed = client.post(f"/nodes/{world.s2.id}/managers", data={"phone": world.volunteer.phone},
                            follow_redirects=True)
    assert "flash-success" in text(appointed) and world.volunteer.name in text(appointed)


def test_node_pages_refused_to_volunteers(world, client):
    login(client, world.volunteer)
    assert client.get("/nodes").status_code == 403
    assert client.get(f"/nodes/{world.s1.id}").status_code == 403


def test_error_pages_are_html_not_tracebacks(world, client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "<h1>404" in text(response) and "Traceback" not in text(response)


def test_english_switch(world, client):
    response = client.post("/lang/en", data={"next": "/login"})
    assert response.headers["Location"] == "/login"
    page = text(client.get("/login"))
    assert 'lang="en"' in page and "Log in" in page


@pytest.fixture
def csrf_client(db_url):
    from tests.conftest import TEST_CONFIG, IsolatedClient

    app = create_app({**TEST_CONFIG, "WTF_CSRF_ENABLED": True, "SQLALCHEMY_DATABASE_URI": db_url})
    app.test_client_class = IsolatedClient
    return app.test_client()


def test_forms_require_a_csrf_token(world, csrf_client):
    refused = csrf_client.post("/login", data={"phone": world.volunteer.phone, "password": "Passw0rd!"})
    assert refused.status_code == 400 and "CSRF" in text(refused) and "<h1>400" in text(refused)
    page = text(csrf_client.get("/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = csrf_client.post("/login", data={"phone": world.volunteer.phone, "password": "Passw0rd!",
                                                "csrf_token": token})
    assert accepted.status_code == 302
    assert csrf_client.post("/logout").status_code == 400  # without a token: not logged out
    assert csrf_client.get("/me").status_code == 200


def test_navigation_follows_the_role(world, client, app):
    volunteer = text(login(app.test_client(), world.volunteer).get("/"))
    assert 'href="/me/hours"' in volunteer and 'href="/offers"' in volunteer and 'href="/nodes"' not in volunteer
    manager = text(login(app.test_client(), world.s1_manager).get("/"))
    assert 'href="/events"' in manager and 'href="/nodes"' in manager and 'href="/me/hours"' not in manager
    resident = text(login(client, world.outsider).get("/"))
    assert 'href="/events"' not in resident and 'href="/me/hours"' not in resident


def test_front_end_libraries_are_served_from_our_own_static_folder(client):
    """make assets copies them from the npm packages pinned in package-lock.json; nothing from a CDN."""
    for path, kind in [("vendor/weui.min.css", "text/css"), ("vendor/chart.umd.min.js", "javascript"),
                       ("vendor/zxing-reader.js", "javascript"), ("vendor/zxing_reader.wasm", "application/wasm")]:
        response = client.get(f"/static/{path}")
        assert response.status_code == 200 and kind in response.content_type, path
    page = text(client.get("/login"))
    assert "/static/vendor/weui.min.css" in page and "cdn" not in page.lower()
