"""toshokan's benchmarks (`make bench`, `python -m benchmarks`): search speed and exactness at a million
records against other engines measured in the same run, the search API over HTTP, MARC import speed
and search relevance. See docs/benchmarks.md.
"""
