"""Google Calendar API and OAuth clients (the only code that talks to Google)."""
