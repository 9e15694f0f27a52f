"""Services between backends and screens: the polling hub, actions, the audit log."""
