"""calbridge's strict local stand-in for Google Calendar v3, Google OAuth 2.0 and push."""
