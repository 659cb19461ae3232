"""Renovation projects (安心善居): survey, plan, cap, milestones, pledges, inspections, maintenance."""
