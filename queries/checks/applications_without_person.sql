-- Applications whose person is not in people (a merge or split moved them wrongly). Must return no rows.
SELECT a.application_id, a.round_id, a.person_id
FROM applications AS a
WHERE NOT EXISTS (SELECT 1 FROM people AS p WHERE p.person_id = a.person_id)
