"""Kanvaro: self-hosted project management for small teams."""
