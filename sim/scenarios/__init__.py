"""The scenario side: the cast of states, the event catalogue, the scenario schema and its
calendar. Scenario files are data: they are validated here and never name code."""
