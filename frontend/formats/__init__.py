"""Date and number formats of the platform's languages where Django's default does not fit."""
