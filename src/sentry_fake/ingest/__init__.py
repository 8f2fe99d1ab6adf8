"""
The SDK-facing surface: content decoding, envelope framing, DSN auth and the ingest routes.
"""
