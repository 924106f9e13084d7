"""The application: the command line, configs, tasks, figures and the explorer."""
