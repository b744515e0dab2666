"""Pure domain logic: models, activity <-> Google event mapping, sync planning. No I/O."""
