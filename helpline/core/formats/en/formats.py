"""English date formats: day-month-year and a 24-hour clock, as help desks in Europe write them.

Django's English default ("Dec. 5, 2026, 10:12 p.m.") reads as American; Norwegian and Russian
keep Django's own formats. `DATETIME_FORMAT` is the one exact format every page shows on hover.
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j M"
TIME_FORMAT = "H:i"
