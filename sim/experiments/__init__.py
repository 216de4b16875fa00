"""The experiment wing: replications on common random numbers, executors (processes, Dask), the resumable store,
designs, sensitivity, sequential stopping, warm-up, calibration, plausibility and staffing searches."""
