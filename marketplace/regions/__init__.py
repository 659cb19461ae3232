"""Administrative regions (district → street) that scope staff, filters and reports."""
