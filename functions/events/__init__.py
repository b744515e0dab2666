"""Eventarc events: decoding what Google delivers (Firestore document events) and the thin handlers."""
