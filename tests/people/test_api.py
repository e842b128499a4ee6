ID = "11010519491231002X"


def test_self_registration_returns_a_masked_id(world, client, phone_code):
    response = client.post("/api/v1/volunteers", json={
        "name": "新志愿者", "phone": "13512345678", "code": phone_code("13512345678"), "password": "Passw0rd!",
        "home_station_id": world.s2.id,
        "id_number": ID, "skills": ["急救"]})
    assert response.status_code == 201, response.json
    body = response.json
    assert body["volunteer"] == {"home_station_id": world.s2.id, "id_number": "1101**********002X", "skills": ["急救"]}
    assert body["phone"] == "135****5678" and "password" not in body
    assert ID not in response.get_data(as_text=True)


def test_registration_errors_per_field(world, client):
    response = client.post("/api/v1/volunteers", json={
        "name": "甲", "phone": "1234", "code": "123456", "password": "abc", "home_station_id": world.s1.id})
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"phone", "password"}
    # A registered phone is told nothing more than a wrong code: no code was texted to it.
    response = client.post("/api/v1/volunteers", json={
        "name": "甲", "phone": "13700000002", "code": "123456", "password": "Passw0rd!",
        "home_station_id": world.s1.id})
    assert response.status_code == 422 and response.json["error"]["code"] == "bad_code"


def test_token_login_and_me(world, client, api):
    bad = client.post("/api/v1/auth/token", json={"phone": world.volunteer.phone, "password": "nope-nope1"})
    assert bad.status_code == 401 and bad.json["error"]["code"] == "unauthorized"
    me = api(world.volunteer).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json["name"] == "志愿者甲" and me.json["roles"] == []
    assert me.json["volunteer"]["home_station_id"] == world.s1.id
    roles = api(world.s1_manager).get("/api/v1/me").json
    assert roles["roles"] == [{"role": "manager", "node_id": world.s1.id, "merchant_id": None}]
    assert roles["volunteer"] is None


def test_patch_me(world, api):
    client = api(world.volunteer)
    response = client.patch("/api/v1/me", json={"skills": ["书法", "摄影"], "id_number": ID})
    assert response.status_code == 200
    assert response.json["volunteer"]["skills"] == ["书法", "摄影"]
    assert response.json["volunteer"]["id_number"] == "1101**********002X"
    bad = client.patch("/api/v1/me", json={"id_number": "110105194912310021"})
    assert bad.status_code == 422
    assert bad.json["error"]["fields"] == {"id_number": ["身份证号校验位错误。"]}
    english = client.client.patch("/api/v1/me", json={"id_number": "110105194912310021"},
                                  headers={**client._headers(), "Accept-Language": "en-US,en;q=0.9"})
    assert english.json["error"]["fields"] == {"id_number": ["The check digit of this ID number is wrong."]}


def test_revoked_token_stops_working(world, api):
    client = api(world.volunteer)
    assert client.delete("/api/v1/auth/token").status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_session_cookie_does_not_authenticate_the_api(world, client):
    # A logged-in browser must not be able to make API writes without a token (CSRF).
    client.post("/login", data={"phone": world.s1_manager.phone, "password": "Passw0rd!"})
    assert client.get("/me").status_code == 200
    assert client.get("/api/v1/me").status_code == 401
