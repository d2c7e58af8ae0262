"""Judging quality: metrics on data with ground truth, per category, with reports and regressions."""
