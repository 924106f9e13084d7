"""The engine: the model's state, its quarterly processes and the operations events call.

Data flows one way through this package: `state` declares every array, `processes` move
it one quarter, `decisions` are the state agents' choice rules, `operations` are the only
way events change the state, `observables` say what is recorded, and `engine` schedules
them. Nothing here imports Mesa, Hydra, pandas, plotting or storage.
"""
