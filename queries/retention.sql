-- Round-by-round retention: of the participants of round X (the cohort), how many applied to and how many took part in each later round Y, with shares of the cohort.
WITH cohort AS (
    SELECT DISTINCT round_id, round_seq, person_id FROM participants
),
sizes AS (
    SELECT round_id, count(*) AS cohort FROM cohort GROUP BY round_id
),
applied AS (
    SELECT DISTINCT a.round_id, a.person_id FROM applications AS a WHERE a.status <> 'withdrawn'
),
pairs AS (
    SELECT x.round_id AS from_round_id, x.seq AS from_seq, y.round_id AS to_round_id, y.seq AS to_seq
    FROM rounds AS x JOIN rounds AS y ON y.seq > x.seq
    WHERE x.round_id IN (SELECT round_id FROM sizes)
)
SELECT
    pairs.from_round_id,
    pairs.from_seq,
    pairs.to_round_id,
    pairs.to_seq,
    pairs.to_seq - pairs.from_seq AS rounds_later,
    sizes.cohort,
    count(DISTINCT ap.person_id) AS applied,
    count(DISTINCT later.person_id) AS took_part,
    round(count(DISTINCT ap.person_id) / sizes.cohort, 4) AS applied_share,
    round(count(DISTINCT later.person_id) / sizes.cohort, 4) AS took_part_share
FROM pairs
JOIN sizes ON sizes.round_id = pairs.from_round_id
JOIN cohort AS c ON c.round_id = pairs.from_round_id
LEFT JOIN applied AS ap ON ap.round_id = pairs.to_round_id AND ap.person_id = c.person_id
LEFT JOIN cohort AS later ON later.round_id = pairs.to_round_id AND later.person_id = c.person_id
GROUP BY pairs.from_round_id, pairs.from_seq, pairs.to_round_id, pairs.to_seq, sizes.cohort
ORDER BY pairs.from_seq, pairs.to_seq
