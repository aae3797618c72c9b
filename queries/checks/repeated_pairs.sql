-- Two people partnered in more than one round's published partnerships. Must return no rows.
SELECT least(a.person_id, b.person_id) AS person_a, greatest(a.person_id, b.person_id) AS person_b,
    list(DISTINCT a.round_id ORDER BY a.round_id) AS rounds
FROM participants AS a
JOIN participants AS b ON a.partnership_id = b.partnership_id AND a.person_id < b.person_id
GROUP BY 1, 2
HAVING count(DISTINCT a.round_id) > 1
