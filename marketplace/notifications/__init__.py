"""In-app notifications (the bell) and their optional email copies."""
