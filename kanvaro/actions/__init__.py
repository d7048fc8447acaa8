"""Every mutation of the app: permission, validation, write and audit, in the caller's transaction."""
