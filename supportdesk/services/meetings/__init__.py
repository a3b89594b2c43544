"""Meetings and forums (会議・フォーラム): series and their members (series.py), meetings,
invitations and minutes (meetings.py), answers (answers.py), decisions and action items
(items.py), the scheduled notices (notices.py) and participation figures (participation.py)."""
