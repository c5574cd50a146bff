"""Helpers of the export and serving tests."""
