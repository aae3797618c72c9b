-- Applications in more than one live partnership of the same run (partnerships broken by a coordinator before publishing, or ended by a re-match, no longer count). Must return no rows.
SELECT p.run_id, m.application_id, count(*) AS partnerships
FROM partnership_members AS m JOIN partnerships AS p ON p.partnership_id = m.partnership_id
WHERE p.status NOT IN ('broken', 'ended')
GROUP BY p.run_id, m.application_id
HAVING count(*) > 1
