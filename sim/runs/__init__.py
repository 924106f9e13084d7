"""Running the model many times: seed ensembles, sweeps, their executors (serial, local
processes, Dask), the design samplers, the parameter gate and multirun collection."""
