"""Reliability and security suites (issue 6): generated from the route table, property-based."""
