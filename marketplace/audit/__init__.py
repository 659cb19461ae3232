"""The audit log (痕迹保留): an append-only record of who did what, when, to which object."""
