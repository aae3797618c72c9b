-- A person with two live (not withdrawn) applications in one round: the cap would count them twice. Must return no rows.
SELECT round_id, person_id, list(application_id ORDER BY application_id) AS application_ids
FROM applications
WHERE status <> 'withdrawn'
GROUP BY round_id, person_id
HAVING count(*) > 1
