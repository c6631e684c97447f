"""Experiments a user runs without Python: ``bntui sweep`` (grid / random search over Config
keys, many seeds) and ``bntui verify`` (the seed texts' claims, verdicts from the numbers).

Trials run on any ``concurrent.futures.Executor``: a process pool on one machine or a Dask
cluster (``distributed.Client(address).get_executor()``); there is no scheduler here.
A trial is a plain dict in and a plain dict out, so where it ran cannot change its numbers.
"""
