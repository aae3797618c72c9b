-- Per matching run: people, matched, pairs and trios, the share of partnerships sharing at least one interest, partner wishes met, countries involved, and the solver's objective, bound and gap.
WITH members AS (
    SELECT p.run_id, p.partnership_id, p.kind, a.*
    FROM partnerships AS p
    JOIN partnership_members AS m ON m.partnership_id = p.partnership_id
    JOIN applications AS a ON a.application_id = m.application_id
    WHERE p.status <> 'broken'
),
duos AS (
    SELECT x.run_id, x.partnership_id,
        len(list_intersect(x.interests, y.interests)) AS shared_interests,
        (x.partner_sector IS NOT NULL)::INTEGER + (x.partner_stage IS NOT NULL)::INTEGER
            + (len(x.partner_interests) > 0)::INTEGER AS wishes,
        (x.partner_sector = y.sector)::INTEGER + (x.partner_stage = y.career_stage)::INTEGER
            + (len(list_intersect(x.partner_interests, y.interests)) > 0)::INTEGER AS wishes_met
    FROM members AS x JOIN members AS y ON x.partnership_id = y.partnership_id AND x.application_id <> y.application_id
),
per_partnership AS (
    SELECT run_id, partnership_id, max(shared_interests) AS best_shared FROM duos GROUP BY ALL
),
wishes AS (
    SELECT run_id, sum(wishes) AS wishes, sum(wishes_met) AS wishes_met FROM duos GROUP BY run_id
)
SELECT
    r.run_id,
    r.round_id,
    r.status,
    r.created_at,
    r.created_by,
    r.solver_status,
    r.people,
    r.matched,
    count(DISTINCT pp.partnership_id) FILTER (WHERE p.kind = 'pair') AS pairs,
    count(DISTINCT pp.partnership_id) FILTER (WHERE p.kind = 'trio') AS trios,
    round(avg((pp.best_shared >= 1)::INTEGER), 4) AS share_sharing_interest,
    w.wishes,
    w.wishes_met,
    round(w.wishes_met / nullif(w.wishes, 0), 4) AS share_wishes_met,
    (SELECT count(DISTINCT country_iso3) FROM members AS mm WHERE mm.run_id = r.run_id) AS countries,
    r.objective,
    r.bound,
    r.gap,
    r.seconds
FROM match_runs AS r
LEFT JOIN per_partnership AS pp ON pp.run_id = r.run_id
LEFT JOIN partnerships AS p ON p.partnership_id = pp.partnership_id
LEFT JOIN wishes AS w ON w.run_id = r.run_id
GROUP BY ALL
ORDER BY r.run_id
