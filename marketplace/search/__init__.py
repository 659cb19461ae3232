"""Full-text search: Chinese segmentation (`text`), search tables and their indexes (`index`)."""
