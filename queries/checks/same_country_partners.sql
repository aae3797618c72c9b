-- Partnerships (in any run) with two members from the same country. Must return no rows.
SELECT p.run_id, p.partnership_id, a.country_iso3, a.application_id AS application_a, b.application_id AS application_b
FROM partnerships AS p
JOIN partnership_members AS ma ON ma.partnership_id = p.partnership_id
JOIN partnership_members AS mb ON mb.partnership_id = p.partnership_id AND ma.application_id < mb.application_id
JOIN applications AS a ON a.application_id = ma.application_id
JOIN applications AS b ON b.application_id = mb.application_id
WHERE a.country_iso3 = b.country_iso3
