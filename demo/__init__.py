"""Demo data for `make run`: above every app in the dependency order, since it seeds them all."""
