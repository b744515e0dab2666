"""Google: the Calendar port (calendar_port), its google-api-python-client adapter (calendar_api), sessions
and refresh through google-auth (session), retries (retry), typed errors (errors), the OAuth flow (oauth_client)."""
