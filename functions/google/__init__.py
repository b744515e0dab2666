"""Google OAuth 2.0 and Calendar API clients (plain HTTP, URLs from functions.config)."""
