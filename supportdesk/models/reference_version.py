"""The version of the reference lists (市町, 圏域, 相談分野, リエゾン, 定型文): one counter row.

Every worker caches those lists (services/reference.py) and compares its copy's version with
this row once per request, so an admin's change shows at once in every process."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ReferenceVersion(db.Model):
    __tablename__ = "reference_versions"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, default=0)
