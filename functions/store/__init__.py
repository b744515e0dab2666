"""Firestore repositories, one module per collection family (admin client; rules bypassed)."""
