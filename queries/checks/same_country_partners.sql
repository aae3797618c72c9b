-- Partnerships (in any run) whose members the program's cross-border rule keeps apart (the setting cross_border: country by default, region, organisation, none). Must return no rows.
WITH rule AS (
    SELECT coalesce((SELECT value::JSON ->> '$' FROM settings WHERE key = 'cross_border'), 'country') AS cross_border
),
member AS (
    SELECT pm.partnership_id, a.application_id, a.country_iso3, c.un_region,
        -- the organisation as workbench.matching.rules.organisation_key compares it, stored with the application
        a.organisation_key
    FROM partnership_members AS pm
    JOIN applications AS a ON a.application_id = pm.application_id
    JOIN countries AS c ON c.iso3 = a.country_iso3
)
SELECT p.run_id, p.partnership_id, rule.cross_border, a.country_iso3, a.application_id AS application_a,
    b.application_id AS application_b
FROM partnerships AS p
JOIN member AS a ON a.partnership_id = p.partnership_id
JOIN member AS b ON b.partnership_id = p.partnership_id AND a.application_id < b.application_id
CROSS JOIN rule
WHERE CASE rule.cross_border
    WHEN 'country' THEN a.country_iso3 = b.country_iso3
    WHEN 'region' THEN a.un_region = b.un_region
    WHEN 'organisation' THEN a.organisation_key = b.organisation_key
    ELSE false
END
