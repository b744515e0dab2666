"""Use cases: settings, connect, links, status, admin. I/O only through google/ and store/."""
