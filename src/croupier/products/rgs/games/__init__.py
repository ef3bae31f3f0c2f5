"""The in-house titles. Each mechanic is a module; :mod:`.catalogue` lists every title."""
