"""The civil-affairs staff area: the work queue of everything waiting on staff."""
