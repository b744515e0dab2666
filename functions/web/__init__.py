"""HTTP edge: request parsing, auth, JSON errors, HTML templates."""
