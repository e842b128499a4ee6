"""The floor: the smallest honest web request on volunteer_hub's stack. gunicorn with the same settings,
Flask, SQLAlchemy with the app's engine options (the same psycopg pool), the bearer-token lookup the
API makes, one INSERT and a COMMIT. Nothing of the product's rules: what any request must cost here."""
import hashlib
import os

import sqlalchemy as sa
from flask import Flask, abort, request

from volunteer_hub.config import from_env

config = from_env(".", {"SECRET_KEY": "bench-secret"})
engine = sa.create_engine(config["SQLALCHEMY_DATABASE_URI"], **config["SQLALCHEMY_ENGINE_OPTIONS"])
TOKEN = sa.text("SELECT u.id FROM api_tokens t JOIN users u ON u.id = t.user_id "
                "WHERE t.digest = :digest AND t.revoked_at IS NULL AND t.expires_at > now() AND u.active")
INSERT = sa.text("INSERT INTO bench_floor (user_id) VALUES (:user_id) RETURNING id")

app = Flask(__name__)


@app.post("/floor")
def floor():
    raw = request.headers.get("Authorization", "").removeprefix("Bearer ")
    with engine.begin() as conn:
        user_id = conn.scalar(TOKEN, {"digest": hashlib.sha256(raw.encode()).hexdigest()})
        if user_id is None:
            abort(401)
        row_id = conn.scalar(INSERT, {"user_id": user_id})
    return {"id": row_id, "worker": os.getpid()}
