"""Local stack: the real emulators, the sandbox and one server mounting every function.

Used by the dev command (``python -m devstack``) and by the pytest fixtures alike.
"""
