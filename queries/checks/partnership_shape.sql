-- Partnerships whose members do not fit their kind (a pair has two, a trio three) or whose members applied to another round. Must return no rows.
SELECT p.partnership_id, p.kind, count(*) AS members,
    count(*) FILTER (WHERE a.round_id <> p.round_id) AS members_from_other_rounds
FROM partnerships AS p
JOIN partnership_members AS m ON m.partnership_id = p.partnership_id
JOIN applications AS a ON a.application_id = m.application_id
GROUP BY p.partnership_id, p.kind
HAVING count(*) <> CASE p.kind WHEN 'pair' THEN 2 ELSE 3 END
    OR count(*) FILTER (WHERE a.round_id <> p.round_id) > 0
