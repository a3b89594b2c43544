"""Retention under 公文書管理: classes and dispositions per record kind (kinds.py, policies.py),
the period rule (periods.py), the spring list and its decisions (decisions.py), 廃棄
(disposal.py), 移管 (transfer.py) and the file register (register.py)."""
