"""Adapters for the per-user work queue (Pub/Sub in production, a list in fast tests)."""
