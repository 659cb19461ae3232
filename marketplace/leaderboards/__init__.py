"""Leaderboards (爱心榜): points for delivered help, published as immutable period snapshots."""
