"""
The state of the fake: models, normalization, grouping, queries and the store service.
"""
