"""main.SIGNATURES lists every entry point of main.py with the trigger it is decorated for."""

import inspect

import main


def entry_points() -> dict[str, str]:
    """The functions main.py defines, with their trigger read from the first parameter's name."""
    found = {}
    for name, function in inspect.getmembers(main, inspect.isfunction):
        if function.__module__ != "main" or name.startswith("_"):
            continue
        first = next(iter(inspect.signature(function).parameters))
        found[name] = {"request": "http", "cloud_event": "cloudevent"}[first]
    return found


def test_signatures_table_matches_the_entry_points() -> None:
    assert entry_points() == main.SIGNATURES
