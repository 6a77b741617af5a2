"""The prescription stream: safety checks, regimen choice, dosing, the result."""
