"""The engine's contract with its callers: requests, results, stage events, errors."""
