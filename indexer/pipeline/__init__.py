"""The build pipeline: plan an update (updates.py), parse, chunk and embed (workers.py, here or
on a Ray cluster: distributed.py), write the segments (writing.py) and publish the build
(build.py), reporting what it did (report.py)."""
