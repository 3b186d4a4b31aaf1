"""English formats for a European marketplace: day before month, 24-hour clock (en-GB style).

Django's `en` is American ("Dec. 7, 2026, 12:04 a.m.", "12/07/2026"), which a European reader
takes for the 12th of July. Only display formats are set; input formats fall through to
Django's, so forms keep accepting what they accepted (ADR 0053).
"""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
