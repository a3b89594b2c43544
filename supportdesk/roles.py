"""The roles a user may have (User.role stores their values). Pure: imports nothing of the desk."""
from enum import StrEnum


class Role(StrEnum):
    STAFF = "municipal_staff"  # 市町職員
    LIAISON = "liaison"        # DX推進リエゾン
    EXPERT = "expert"          # 専門人材
    MANAGER = "manager"        # 市町振興課 (reports)
    ADMIN = "admin"            # システム管理者
