"""SpinStack's tests; the folders mirror the integration's rooms."""
