def test_create_and_read_a_node(world, api):
    client = api(world.i1_manager)
    response = client.post("/api/v1/nodes", json={
        "name": "北门社区实践站", "kind": "station", "parent_id": world.i1.id, "address": "北门路 1 号",
        "lat": 31.2, "lon": 120.5})
    assert response.status_code == 201, response.json
    node = response.json
    assert node["code"] == "T-01-03" and node["parent_id"] == world.i1.id and node["lat"] == 31.2
    fetched = client.get(f"/api/v1/nodes/{node['id']}")
    assert fetched.status_code == 200 and fetched.json == node


def test_sibling_station_manager_is_refused(world, api):
    response = api(world.s2_manager).post("/api/v1/nodes", json={
        "name": "越界实践点", "kind": "point", "parent_id": world.s1.id})
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert "东门社区实践站" in response.json["error"]["message"]


def test_validation_errors_have_the_documented_shape(world, api):
    response = api(world.admin).post("/api/v1/nodes", json={"name": "", "kind": "station", "parent_id": world.s1.id})
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_error" and set(error["fields"]) == {"name", "kind"}


def test_schema_errors_name_the_fields(world, api):
    response = api(world.admin).post("/api/v1/nodes", json={"kind": "hamlet", "parent_id": "x", "colour": 1})
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"name", "kind", "parent_id", "colour"}


def test_malformed_json_is_a_400(world, api):
    client = api(world.admin)
    response = client.client.post("/api/v1/nodes", data="{not json", content_type="application/json",
                                  headers=client._headers())
    assert response.status_code in (400, 422)
    assert "error" in response.json


def test_anonymous_gets_401_json(client):
    response = client.get("/api/v1/nodes/1")
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


def test_missing_node_is_404_json(world, api):
    response = api(world.volunteer).get("/api/v1/nodes/987654")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_list_children_is_paginated(world, api):
    response = api(world.volunteer).get(f"/api/v1/nodes?parent_id={world.i1.id}&page_size=1")
    assert response.status_code == 200 and len(response.json) == 1
    assert '"total": 2' in response.headers["X-Pagination"]


def test_appoint_and_revoke_a_manager(world, api):
    client = api(world.i1_manager)
    response = client.post(f"/api/v1/nodes/{world.s2.id}/managers", json={"user_id": world.volunteer.id})
    assert response.status_code == 201
    assert response.json == {"user_id": world.volunteer.id, "name": "志愿者甲", "node_id": world.s2.id}
    again = client.post(f"/api/v1/nodes/{world.s2.id}/managers", json={"user_id": world.volunteer.id})
    assert again.status_code == 409
    names = [m["name"] for m in client.get(f"/api/v1/nodes/{world.s2.id}/managers").json]
    assert sorted(names) == ["志愿者甲", "西门站长"]
    # The new manager now manages S2 and nothing else.
    new_manager = api(world.volunteer)

    def add_point(parent, name="点"):
        return new_manager.post("/api/v1/nodes", json={"name": name, "kind": "point", "parent_id": parent.id})

    assert add_point(world.s2).status_code == 201
    assert add_point(world.s1).status_code == 403
    assert client.delete(f"/api/v1/nodes/{world.s2.id}/managers/{world.volunteer.id}").status_code == 204
    assert add_point(world.s2, "点2").status_code == 403


def test_only_managers_of_the_subtree_appoint(world, api):
    assert api(world.s1_manager).post(f"/api/v1/nodes/{world.s2.id}/managers",
                                      json={"user_id": world.volunteer.id}).status_code == 403
    assert api(world.volunteer).post(f"/api/v1/nodes/{world.s1.id}/managers",
                                     json={"user_id": world.volunteer.id}).status_code == 403
    assert api(world.s2_manager).get(f"/api/v1/nodes/{world.s1.id}/managers").status_code == 403
