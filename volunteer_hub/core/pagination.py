"""Paging a SQLAlchemy select for flask-smorest's ``@blp.paginate()``."""
import sqlalchemy as sa

from volunteer_hub.extensions import db


def page_of(query: sa.Select, pagination_parameters) -> list:
    pagination_parameters.item_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )
    return db.session.scalars(
        query.limit(pagination_parameters.page_size).offset(pagination_parameters.first_item)
    ).all()
