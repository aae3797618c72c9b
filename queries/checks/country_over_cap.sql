-- Countries above their round's cap: more participants than the cap's share of the round's participants, or, before matching, more accepted applicants than the cap's share of its live applications. Must return no rows.
WITH part AS (
    SELECT round_id, country_iso3, count(DISTINCT person_id) AS n,
        sum(count(DISTINCT person_id)) OVER (PARTITION BY round_id) AS total
    FROM participants GROUP BY round_id, country_iso3
),
accepted AS (
    SELECT round_id, country_iso3,
        count(*) FILTER (WHERE status = 'accepted') AS n,
        sum(count(*) FILTER (WHERE status <> 'withdrawn')) OVER (PARTITION BY round_id) AS total
    FROM applications GROUP BY round_id, country_iso3
)
SELECT 'participants' AS measure, part.round_id, part.country_iso3, part.n, part.total, r.country_cap
FROM part JOIN rounds AS r ON r.round_id = part.round_id
WHERE part.n > r.country_cap * part.total
UNION ALL
SELECT 'accepted applicants', a.round_id, a.country_iso3, a.n, a.total, r.country_cap
FROM accepted AS a JOIN rounds AS r ON r.round_id = a.round_id
WHERE a.n > greatest(1, floor(r.country_cap * a.total + 1e-9))
