"""calbridge: two-way sync between CRM activities and Google Calendar."""
