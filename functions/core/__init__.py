"""Pure domain code: models, rules, secrets encryption. No I/O imports."""
