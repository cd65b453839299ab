"""The admin's one way of writing a moment, with its time zone: '7 Dec 2026, 14:03 UTC'.

Django reads this module (FORMAT_MODULE_PATH) instead of its own English formats, so the
`date` filter, the admin's read-only fields and our own columns agree.
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i T"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i T"
TIME_FORMAT = "H:i T"
