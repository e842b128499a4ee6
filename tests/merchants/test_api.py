from tests.merchants.test_merchants import APPLICATION


def test_merchant_lifecycle_over_the_api(world, api):
    owner = api(world.outsider)
    missing_centre = owner.post("/api/v1/merchants", json=APPLICATION)
    assert missing_centre.status_code == 422 and "centre_id" in missing_centre.json["error"]["fields"]
    applied = owner.post("/api/v1/merchants", json={**APPLICATION, "centre_id": world.centre.id})
    assert applied.status_code == 201 and applied.json["status"] == "pending"
    merchant_id = applied.json["id"]
    assert api(world.s1_manager).post(f"/api/v1/merchants/{merchant_id}/approve",
                                      json={"station_ids": [world.s1.id]}).status_code == 403
    approved = api(world.centre_admin).post(f"/api/v1/merchants/{merchant_id}/approve",
                                            json={"station_ids": [world.s1.id]})
    assert approved.status_code == 200 and approved.json["station_ids"] == [world.s1.id]
    invited = owner.post(f"/api/v1/merchants/{merchant_id}/staff", json={"phone": world.centre_admin.phone})
    unknown = owner.post(f"/api/v1/merchants/{merchant_id}/staff", json={"phone": "13612340000"})
    # The same answer for a registered and an unregistered phone: no name, a masked number.
    assert invited.status_code == unknown.status_code == 201
    assert set(invited.json) == set(unknown.json) and "name" not in invited.json
    assert invited.json["phone"] == "139****0001" and invited.json["state"] == "pending"
    assert api(world.centre_admin).get("/api/v1/merchants/invitations").json[0]["id"] == invited.json["id"]
    assert owner.get(f"/api/v1/merchants/{merchant_id}/staff").json["invitations"][1]["phone"] == "136****0000"
    offer = owner.post(f"/api/v1/merchants/{merchant_id}/offers", json={"title": "理发一次", "price": 5, "stock": 3})
    assert offer.status_code == 201 and offer.json["price"] == 5 and offer.json["available"] == 3
    assert api(world.s1_manager).post(f"/api/v1/merchants/{merchant_id}/offers",
                                      json={"title": "x", "price": 1}).status_code == 403
    listed = api(world.volunteer).get(f"/api/v1/merchants/{merchant_id}/offers").json
    assert [o["title"] for o in listed] == ["理发一次"]
    assert [m["id"] for m in api(world.volunteer).get("/api/v1/merchants").json] == [merchant_id]
    assert api(world.s2_volunteer).get("/api/v1/merchants").json == []
