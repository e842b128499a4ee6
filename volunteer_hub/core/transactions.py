"""One transaction per request, for pages and API alike.

A request that changes things commits once, at its end, after the view has answered without
raising; an error raised anywhere rolls everything back (core.errors). Views and services never
commit: services flush, so constraint errors surface where they happen. A GET (or HEAD, OPTIONS)
never writes: whatever it may have changed is rolled back.
"""
from flask import Flask, request

from volunteer_hub.core.db import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TransactionalFlask(Flask):
    def dispatch_request(self):
        # Inside Flask's error handling: a failing commit (a unique-key race, a lost connection)
        # answers 409 or 503 like any other error, never a 500.
        answer = super().dispatch_request()
        if request.method in SAFE_METHODS:
            db.session.rollback()
        else:
            db.session.commit()
        return answer
