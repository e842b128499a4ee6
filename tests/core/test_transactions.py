"""One transaction per request (core.transactions): commit once at the end of a view that answered,
roll back what raised, never keep what a GET wrote; a conflict found at commit is a 409, not a 500."""
import pytest
import sqlalchemy as sa

from volunteer_hub.core.errors import Conflict
from volunteer_hub.extensions import db
from volunteer_hub.nodes.models import Node
from volunteer_hub.nodes.services import create_node

pytestmark = pytest.mark.own_app  # the tests add routes of their own


@pytest.fixture
def routes(app, world):
    """Test-only endpoints that write a station below I1, then answer or fail in different ways."""
    admin_id, parent_id = world.admin.id, world.i1.id

    def write(name):
        create_node(db.session.get(type(world.admin), admin_id), name=name, kind="station", parent_id=parent_id)

    def answers():
        write("写了就留下")
        return "ok"

    def raises():
        write("写了又出错")
        raise Conflict("no")

    def duplicate_at_commit():
        # Two stations with one code: the unique constraint fires only when the request commits.
        db.session.add_all([Node(name="甲", kind="station", code="DUP", path="/dup1/", parent_id=parent_id),
                            Node(name="乙", kind="station", code="DUP", path="/dup2/", parent_id=parent_id)])
        return "ok"

    for rule, view, methods in [("/api/_t/answers", answers, ["GET", "POST"]), ("/api/_t/raises", raises, ["POST"]),
                                ("/api/_t/duplicate", duplicate_at_commit, ["POST"])]:
        app.add_url_rule(rule, view.__name__, view, methods=methods)
    return app.test_client()


def stations_named(name):
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Node).where(Node.name == name))


def test_a_view_that_answers_is_committed_once_at_the_end(routes):
    assert routes.post("/api/_t/answers").status_code == 200
    assert stations_named("写了就留下") == 1


def test_a_get_never_writes(routes):
    assert routes.get("/api/_t/answers").status_code == 200
    assert stations_named("写了就留下") == 0


def test_what_a_view_raises_rolls_everything_back(routes):
    assert routes.post("/api/_t/raises").status_code == 409
    assert stations_named("写了又出错") == 0


def test_a_conflict_found_at_commit_is_a_409(routes):
    answer = routes.post("/api/_t/duplicate")
    assert answer.status_code == 409 and answer.json["error"]["code"] == "conflict"
    assert stations_named("甲") == 0
