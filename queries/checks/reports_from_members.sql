-- Check-ins and surveys from someone who is not a member of the partnership or round they report on. Must return no rows.
SELECT 'checkin' AS report, c.checkin_id AS report_id, c.application_id
FROM checkins AS c
LEFT JOIN partnership_members AS m ON m.partnership_id = c.partnership_id AND m.application_id = c.application_id
WHERE m.application_id IS NULL
UNION ALL
SELECT 'survey', s.survey_id, s.application_id
FROM surveys AS s JOIN applications AS a ON a.application_id = s.application_id
WHERE a.round_id <> s.round_id
