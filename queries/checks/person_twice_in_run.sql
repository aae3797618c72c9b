-- Applications placed in more than one partnership of the same run. Must return no rows.
SELECT p.run_id, m.application_id, count(*) AS partnerships
FROM partnership_members AS m JOIN partnerships AS p ON p.partnership_id = m.partnership_id
GROUP BY p.run_id, m.application_id
HAVING count(*) > 1
