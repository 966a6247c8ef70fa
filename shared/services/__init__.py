"""Use cases. Each public function takes its collaborators as keyword arguments (ports), so the
HTTP edge, the timers and the tests call the very same code."""
