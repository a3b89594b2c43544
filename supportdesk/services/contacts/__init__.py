"""The contact directory (directory.py), the changes the 情報部門 proposes (proposals.py) and the
April handover (handover.py)."""
