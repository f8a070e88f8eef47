"""Scanning: plan, scope guard, probes that collect facts, judges that check them, the engine."""
