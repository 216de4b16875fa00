"""The output wing: the results folder, the decision summary, ROI and payback, charts, the HTML report, and the
docs site's generated reference pages (scenario fields, evidence register, command line, Python API, benchmarks)."""
