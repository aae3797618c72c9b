-- One row per participant per round: each member of a partnership of the round's published run (broken ones aside), with their country and whether they took part in an earlier round.
WITH members AS (
    SELECT
        p.round_id,
        r.seq AS round_seq,
        p.partnership_id,
        p.kind,
        p.status AS partnership_status,
        a.application_id,
        a.person_id,
        a.country_iso3,
        a.sector,
        a.career_stage
    FROM partnerships AS p
    JOIN match_runs AS mr ON mr.run_id = p.run_id AND mr.status = 'published'
    JOIN partnership_members AS m ON m.partnership_id = p.partnership_id
    JOIN applications AS a ON a.application_id = m.application_id
    JOIN rounds AS r ON r.round_id = p.round_id
    WHERE p.status <> 'broken'
)
SELECT
    members.*,
    members.round_seq > coalesce(
        min(members.round_seq) OVER (PARTITION BY members.person_id), members.round_seq
    ) AS is_returning
FROM members
