"""
C{--data-dir}: the store's change records and checkpoints in an SQLite database.
"""
