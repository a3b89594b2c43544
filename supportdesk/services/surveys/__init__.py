"""Surveys and inquiries (調査・照会): building (building.py), answering (answering.py), the
scheduled notices (notices.py) and the results (results.py)."""
