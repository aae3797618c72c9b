-- Per round: applications received, accepted and waitlisted, participants (people in a partnership that round), their distinct countries, partnerships and the share of returning participants; reproduces domain.md's table.
WITH apps AS (
    SELECT
        round_id,
        count(*) AS applications,
        count(*) FILTER (WHERE status = 'accepted') AS accepted,
        count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted,
        count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn,
        count(DISTINCT country_iso3) AS applicant_countries
    FROM applications
    GROUP BY round_id
),
part AS (
    SELECT
        round_id,
        count(DISTINCT person_id) AS participants,
        count(DISTINCT country_iso3) AS countries,
        count(DISTINCT partnership_id) AS partnerships,
        count(DISTINCT partnership_id) FILTER (WHERE kind = 'trio') AS trios,
        count(DISTINCT person_id) FILTER (WHERE is_returning) AS returning_participants
    FROM participants
    GROUP BY round_id
)
SELECT
    r.round_id,
    r.label,
    r.seq,
    r.status,
    r.starts_on,
    coalesce(apps.applications, 0) AS applications,
    coalesce(apps.accepted, 0) AS accepted,
    coalesce(apps.waitlisted, 0) AS waitlisted,
    coalesce(apps.withdrawn, 0) AS withdrawn,
    coalesce(apps.applicant_countries, 0) AS applicant_countries,
    coalesce(part.participants, 0) AS participants,
    coalesce(part.countries, 0) AS countries,
    coalesce(part.partnerships, 0) AS partnerships,
    coalesce(part.trios, 0) AS trios,
    coalesce(part.returning_participants, 0) AS returning_participants,
    round(part.returning_participants / nullif(part.participants, 0), 4) AS returning_share
FROM rounds AS r
LEFT JOIN apps ON apps.round_id = r.round_id
LEFT JOIN part ON part.round_id = r.round_id
ORDER BY r.seq
