"""The output wing: the results folder, the decision summary, ROI and payback, charts, the HTML report and the
scenario reference."""
