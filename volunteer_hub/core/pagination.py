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


class Page:
    """One page of results for the ``pager`` macro (templates/_forms.html), from a list and a total."""

    def __init__(self, items: list, page: int, per_page: int, total: int):
        self.items, self.page, self.per_page, self.total = items, page, per_page, total

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1
