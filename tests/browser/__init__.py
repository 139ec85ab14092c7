"""The Listening Insights panel in a real browser."""
