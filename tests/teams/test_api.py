def test_create_team_and_list(world, api):
    manager = api(world.s1_manager)
    response = manager.post("/api/v1/teams", json={
        "name": "东门法律服务队", "category": "legal", "node_id": world.s1.id, "leader_id": world.volunteer.id})
    assert response.status_code == 201, response.json
    assert response.json["category_label"] == "法律服务" and response.json["leader_id"] == world.volunteer.id
    listed = api(world.s2_volunteer).get(f"/api/v1/teams?node_id={world.i1.id}&category=legal")
    assert [t["name"] for t in listed.json] == ["东门法律服务队"]
    assert api(world.volunteer).get("/api/v1/teams?q=卫生").json[0]["name"] == "东门卫生环保队"


def test_team_errors(world, api):
    manager = api(world.s1_manager)
    bad = manager.post("/api/v1/teams", json={"name": "x", "category": "other", "node_id": world.s1.id,
                                              "leader_id": world.outsider.id})
    assert bad.status_code == 422
    assert set(bad.json["error"]["fields"]) == {"custom_category", "leader_id"}
    dup = manager.post("/api/v1/teams", json={"name": "东门卫生环保队", "category": "environment",
                                              "node_id": world.s1.id, "leader_id": world.volunteer.id})
    assert dup.status_code == 409 and "name" in dup.json["error"]["fields"]
    sibling = api(world.s2_manager).post("/api/v1/teams", json={
        "name": "越界队", "category": "legal", "node_id": world.s1.id, "leader_id": world.volunteer.id})
    assert sibling.status_code == 403
    volunteer = api(world.volunteer).post("/api/v1/teams", json={
        "name": "自建队", "category": "legal", "node_id": world.s1.id, "leader_id": world.volunteer.id})
    assert volunteer.status_code == 403
    assert api(world.volunteer).get("/api/v1/teams/99999").status_code == 404


def test_membership_flow_over_the_api(world, api):
    team = world.team.id
    volunteer, leader = api(world.volunteer), api(world.leader)
    asked = volunteer.post(f"/api/v1/teams/{team}/members", json={"user_id": world.volunteer.id})
    assert asked.status_code == 201 and asked.json["status"] == "pending"
    assert volunteer.post(f"/api/v1/teams/{team}/members", json={"user_id": world.volunteer.id}).status_code == 409
    # Members see active members only; the leader also sees the open request.
    assert [m["status"] for m in volunteer.get(f"/api/v1/teams/{team}/members").json] == ["active"]
    assert {m["status"] for m in leader.get(f"/api/v1/teams/{team}/members").json} == {"active", "pending"}
    assert volunteer.post(f"/api/v1/teams/{team}/members/{world.volunteer.id}/accept").status_code == 403
    accepted = leader.post(f"/api/v1/teams/{team}/members/{world.volunteer.id}/accept")
    assert accepted.status_code == 200 and accepted.json["status"] == "active"
    invited = leader.post(f"/api/v1/teams/{team}/members", json={"user_id": world.s2_volunteer.id})
    assert invited.json["status"] == "invited"
    declined = api(world.s2_volunteer).post(f"/api/v1/teams/{team}/members/{world.s2_volunteer.id}/decline")
    assert declined.json["status"] == "rejected"
    # A member cannot invite or remove others.
    assert volunteer.post(f"/api/v1/teams/{team}/members", json={"user_id": world.s2_volunteer.id}).status_code == 403
    assert volunteer.delete(f"/api/v1/teams/{team}/members/{world.leader.id}").status_code == 403
    left = volunteer.delete(f"/api/v1/teams/{team}/members/{world.volunteer.id}")
    assert left.status_code == 200 and left.json["status"] == "left"
    assert leader.delete(f"/api/v1/teams/{team}/members/{world.volunteer.id}").status_code == 409
    assert leader.post(f"/api/v1/teams/{team}/members", json={"user_id": 424242}).status_code == 404
