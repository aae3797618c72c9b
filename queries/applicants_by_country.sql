-- Per round and country: applications by status, returning applicants, participants, the country's share of the round, the round's cap (country_cap_limit: NULL under the cross-border rule none) and whether the country's side of the rule is at it (cap_side: the country under the country rule, its sub-region's countries together under region; never under organisation, whose sides are organisations, or none).
WITH prior AS (
    SELECT a.application_id,
        EXISTS (
            SELECT 1 FROM applications AS b JOIN rounds AS rb ON rb.round_id = b.round_id
            WHERE b.person_id = a.person_id AND rb.seq < r.seq
        ) AS is_returning
    FROM applications AS a JOIN rounds AS r ON r.round_id = a.round_id
),
by_country AS (
    SELECT
        a.round_id,
        a.country_iso3,
        count(*) AS applications,
        count(*) FILTER (WHERE a.status = 'accepted') AS accepted,
        count(*) FILTER (WHERE a.status = 'waitlisted') AS waitlisted,
        count(*) FILTER (WHERE a.status = 'withdrawn') AS withdrawn,
        count(*) FILTER (WHERE a.status = 'received') AS received,
        count(*) FILTER (WHERE prior.is_returning) AS returning_applicants
    FROM applications AS a JOIN prior ON prior.application_id = a.application_id
    GROUP BY a.round_id, a.country_iso3
),
totals AS (
    SELECT round_id, count(*) FILTER (WHERE status <> 'withdrawn') AS live FROM applications GROUP BY round_id
),
part AS (
    SELECT round_id, country_iso3, count(DISTINCT person_id) AS participants
    FROM participants GROUP BY round_id, country_iso3
),
rule AS (
    SELECT coalesce((SELECT value::JSON ->> '$' FROM settings WHERE key = 'cross_border'), 'country') AS cross_border
),
sides AS (
    SELECT b.round_id, b.country_iso3, rule.cross_border,
        sum(b.applications - b.withdrawn) OVER (
            PARTITION BY b.round_id, cap_side(rule.cross_border, b.country_iso3, c.un_region, NULL)
        ) AS side_live,
        cap_side(rule.cross_border, b.country_iso3, c.un_region, NULL) IS NOT NULL AS is_capped
    FROM by_country AS b JOIN countries AS c ON c.iso3 = b.country_iso3 CROSS JOIN rule
)
SELECT
    b.round_id,
    b.country_iso3,
    c.name AS country,
    c.continent,
    b.applications,
    b.accepted,
    b.waitlisted,
    b.withdrawn,
    b.received,
    b.returning_applicants,
    coalesce(part.participants, 0) AS participants,
    round((b.applications - b.withdrawn) / nullif(t.live, 0), 4) AS share_of_round,
    CASE WHEN s.cross_border <> 'none' THEN country_cap_limit(r.country_cap, t.live) END AS cap,
    s.is_capped AND s.side_live >= country_cap_limit(r.country_cap, t.live) AS is_at_cap
FROM by_country AS b
JOIN sides AS s ON s.round_id = b.round_id AND s.country_iso3 = b.country_iso3
JOIN countries AS c ON c.iso3 = b.country_iso3
JOIN rounds AS r ON r.round_id = b.round_id
JOIN totals AS t ON t.round_id = b.round_id
LEFT JOIN part ON part.round_id = b.round_id AND part.country_iso3 = b.country_iso3
ORDER BY r.seq, b.applications DESC, b.country_iso3
