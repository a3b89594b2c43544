"""Visits: their lifecycle, rounds (定期巡回), accompaniment engagements (伴走支援), reminders
and the calendar feed."""
