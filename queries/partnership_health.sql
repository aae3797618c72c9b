-- Per published partnership: check-ins received, fortnights with contact, and the flags that call for a coordinator (no contact reported for two fortnights running, a partner not replying within a week, a rating of 2 or less), with open interventions.
WITH fortnights AS (
    SELECT
        partnership_id,
        fortnight,
        bool_or(contact_made) AS any_contact,
        bool_or(NOT coalesce(partner_replied, true)) AS not_replied,
        min(rating) AS min_rating
    FROM checkins
    GROUP BY partnership_id, fortnight
),
streaks AS (
    SELECT *,
        fortnight - row_number() OVER (PARTITION BY partnership_id, any_contact ORDER BY fortnight) AS grp
    FROM fortnights
),
silent AS (
    SELECT partnership_id, max(n) AS longest_silence
    FROM (
        SELECT partnership_id, grp, count(*) AS n FROM streaks WHERE NOT any_contact GROUP BY partnership_id, grp
    )
    GROUP BY partnership_id
),
agg AS (
    SELECT
        partnership_id,
        count(*) AS fortnights_reported,
        count(*) FILTER (WHERE any_contact) AS fortnights_with_contact,
        max(fortnight) FILTER (WHERE any_contact) AS last_contact_fortnight,
        bool_or(not_replied) AS has_unanswered_partner,
        min(min_rating) AS lowest_rating
    FROM fortnights
    GROUP BY partnership_id
),
open_cases AS (
    SELECT partnership_id,
        count(*) FILTER (WHERE status IN ('open', 'contacted')) AS open_interventions,
        count(*) AS interventions
    FROM interventions GROUP BY partnership_id
),
parts AS (
    SELECT DISTINCT round_id, round_seq, partnership_id, kind, partnership_status FROM participants
)
SELECT
    p.round_id,
    p.round_seq,
    p.partnership_id,
    p.kind,
    p.partnership_status,
    coalesce(agg.fortnights_reported, 0) AS fortnights_reported,
    coalesce(agg.fortnights_with_contact, 0) AS fortnights_with_contact,
    agg.last_contact_fortnight,
    coalesce(silent.longest_silence, 0) AS longest_silence,
    coalesce(silent.longest_silence, 0) >= 2 AS flag_no_contact,
    coalesce(agg.has_unanswered_partner, false) AS flag_not_replied,
    coalesce(agg.lowest_rating <= 2, false) AS flag_low_rating,
    (coalesce(silent.longest_silence, 0) >= 2 OR coalesce(agg.has_unanswered_partner, false)
        OR coalesce(agg.lowest_rating <= 2, false)) AS is_flagged,
    agg.lowest_rating,
    coalesce(o.interventions, 0) AS interventions,
    coalesce(o.open_interventions, 0) AS open_interventions
FROM parts AS p
LEFT JOIN agg ON agg.partnership_id = p.partnership_id
LEFT JOIN silent ON silent.partnership_id = p.partnership_id
LEFT JOIN open_cases AS o ON o.partnership_id = p.partnership_id
ORDER BY p.round_seq, p.partnership_id
