"""Identity: Firebase Authentication through firebase-admin (ID tokens, users, the admin claim)."""
