-- Countries above their round's cap (a share of the round's applications, withdrawn ones aside): more accepted applicants, or more participants, than the cap allows. Must return no rows.
WITH live AS (
    SELECT round_id, count(*) FILTER (WHERE status <> 'withdrawn') AS total FROM applications GROUP BY round_id
),
accepted AS (
    SELECT round_id, country_iso3, count(*) FILTER (WHERE status = 'accepted') AS n
    FROM applications GROUP BY round_id, country_iso3
),
part AS (
    SELECT round_id, country_iso3, count(DISTINCT person_id) AS n FROM participants GROUP BY round_id, country_iso3
),
measured AS (
    SELECT 'accepted applicants' AS measure, * FROM accepted
    UNION ALL
    SELECT 'participants', * FROM part
)
SELECT m.measure, m.round_id, m.country_iso3, m.n, live.total, r.country_cap,
    country_cap_limit(r.country_cap, live.total) AS cap
FROM measured AS m
JOIN live ON live.round_id = m.round_id
JOIN rounds AS r ON r.round_id = m.round_id
WHERE m.n > country_cap_limit(r.country_cap, live.total)
