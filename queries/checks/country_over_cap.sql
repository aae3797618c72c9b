-- Sides of the program's cross-border rule above their round's cap (a share of the round's applications, withdrawn ones aside): more accepted applicants, or more participants, than the cap allows on one side (cap_side: a country under the country rule, a sub-region under region, an organisation under organisation; none has no cap). Must return no rows.
WITH rule AS (
    SELECT coalesce((SELECT value::JSON ->> '$' FROM settings WHERE key = 'cross_border'), 'country') AS cross_border
),
live AS (
    SELECT round_id, count(*) FILTER (WHERE status <> 'withdrawn') AS total FROM applications GROUP BY round_id
),
sided AS (
    SELECT a.application_id, a.round_id, a.person_id, a.status,
        cap_side(rule.cross_border, a.country_iso3, c.un_region, a.organisation_key) AS side
    FROM applications AS a
    JOIN countries AS c ON c.iso3 = a.country_iso3
    CROSS JOIN rule
),
accepted AS (
    SELECT round_id, side, count(*) FILTER (WHERE status = 'accepted') AS n
    FROM sided WHERE side IS NOT NULL GROUP BY round_id, side
),
part AS (
    SELECT p.round_id, s.side, count(DISTINCT p.person_id) AS n
    FROM participants AS p JOIN sided AS s ON s.application_id = p.application_id
    WHERE s.side IS NOT NULL GROUP BY p.round_id, s.side
),
measured AS (
    SELECT 'accepted applicants' AS measure, * FROM accepted
    UNION ALL
    SELECT 'participants', * FROM part
)
SELECT m.measure, m.round_id, m.side, m.n, live.total, r.country_cap,
    country_cap_limit(r.country_cap, live.total) AS cap
FROM measured AS m
JOIN live ON live.round_id = m.round_id
JOIN rounds AS r ON r.round_id = m.round_id
WHERE m.n > country_cap_limit(r.country_cap, live.total)
