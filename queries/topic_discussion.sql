-- Per round and fortnightly topic: the share of partnerships and the share of check-in respondents (participants who sent at least one check-in that round) who reported discussing it.
WITH pairs AS (
    SELECT round_id, count(DISTINCT partnership_id) AS partnerships FROM participants GROUP BY round_id
),
respondents AS (
    SELECT round_id, count(DISTINCT application_id) AS checkin_respondents FROM checkins GROUP BY round_id
),
discussed AS (
    SELECT c.round_id, t.topic_seq,
        count(DISTINCT c.partnership_id) AS partnerships_discussed,
        count(DISTINCT c.application_id) AS respondents_discussed
    FROM checkins AS c, unnest(c.topics_discussed) AS t(topic_seq)
    GROUP BY c.round_id, t.topic_seq
)
SELECT
    t.round_id,
    r.seq AS round_seq,
    t.seq AS topic_seq,
    t.title,
    t.send_on,
    coalesce(pairs.partnerships, 0) AS partnerships,
    coalesce(d.partnerships_discussed, 0) AS partnerships_discussed,
    round(coalesce(d.partnerships_discussed, 0) / nullif(pairs.partnerships, 0), 4) AS share_of_partnerships,
    coalesce(resp.checkin_respondents, 0) AS checkin_respondents,
    coalesce(d.respondents_discussed, 0) AS respondents_discussed,
    round(coalesce(d.respondents_discussed, 0) / nullif(resp.checkin_respondents, 0), 4) AS share_of_respondents
FROM topics AS t
JOIN rounds AS r ON r.round_id = t.round_id
LEFT JOIN pairs ON pairs.round_id = t.round_id
LEFT JOIN respondents AS resp ON resp.round_id = t.round_id
LEFT JOIN discussed AS d ON d.round_id = t.round_id AND d.topic_seq = t.seq
ORDER BY r.seq, t.seq
