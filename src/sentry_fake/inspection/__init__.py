"""
The inspection surface: what tests and people use to look inside the fake.
"""
