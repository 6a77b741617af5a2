"""The diagnosis stream: evidence, differential, scores, triage, explanations."""
