-- Rounds with more than one published matching run, or runs whose partnerships belong to another round. Must return no rows.
SELECT round_id, 'several published runs' AS problem, count(*) AS n
FROM match_runs WHERE status = 'published' GROUP BY round_id HAVING count(*) > 1
UNION ALL
SELECT p.round_id, 'partnership in a run of another round', count(*)
FROM partnerships AS p JOIN match_runs AS r ON r.run_id = p.run_id
WHERE p.round_id <> r.round_id GROUP BY p.round_id
