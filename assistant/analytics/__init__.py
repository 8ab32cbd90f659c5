"""Operations analytics over the stored conversations: metrics (metrics.py), failure clusters
(gaps.py) and a QA score per conversation (qa.py). Everything reads the SQL state store only."""
