"""Settings modules: `base` holds everything; `local`, `test`, `production` adjust it."""
