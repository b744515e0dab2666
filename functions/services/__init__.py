"""Use cases: export, import, push handling, connect, settings."""
