"""``python -m mesodesk.bench``: mesodesk measured against baselines in the same run.

Every figure is reported as measured values, a baseline measured in the same
process run, and their ratio: these machines are shared and noisy, so only
ratios and medians from one run mean anything.
"""
