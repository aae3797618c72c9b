-- Per round: new and returning participants (took part in an earlier round) and applicants who applied in an earlier round, with shares.
WITH part AS (
    SELECT round_id,
        count(DISTINCT person_id) AS participants,
        count(DISTINCT person_id) FILTER (WHERE is_returning) AS returning_participants
    FROM participants GROUP BY round_id
),
apps AS (
    SELECT a.round_id,
        count(*) AS applicants,
        count(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM applications AS b JOIN rounds AS rb ON rb.round_id = b.round_id
            WHERE b.person_id = a.person_id AND rb.seq < r.seq
        )) AS returning_applicants
    FROM applications AS a JOIN rounds AS r ON r.round_id = a.round_id
    GROUP BY a.round_id
)
SELECT
    r.round_id,
    r.seq,
    coalesce(part.participants, 0) AS participants,
    coalesce(part.returning_participants, 0) AS returning_participants,
    coalesce(part.participants - part.returning_participants, 0) AS new_participants,
    round(part.returning_participants / nullif(part.participants, 0), 4) AS returning_share,
    coalesce(apps.applicants, 0) AS applicants,
    coalesce(apps.returning_applicants, 0) AS returning_applicants,
    round(apps.returning_applicants / nullif(apps.applicants, 0), 4) AS returning_applicant_share
FROM rounds AS r
LEFT JOIN part ON part.round_id = r.round_id
LEFT JOIN apps ON apps.round_id = r.round_id
ORDER BY r.seq
