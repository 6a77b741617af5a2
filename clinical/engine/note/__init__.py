"""Reading a free-text note: findings with ConText, measurements, history, allergies."""
