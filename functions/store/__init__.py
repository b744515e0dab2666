"""Firestore repositories, one module per collection family."""
