"""End-to-end tests in a real headless browser."""
