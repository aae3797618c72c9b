-- Per round and fortnightly topic: the share of partnerships and the share of check-in respondents (participants who sent at least one check-in that round) who reported discussing it.
WITH respondents AS (
    SELECT round_id, count(DISTINCT application_id) AS checkin_respondents FROM checkins GROUP BY round_id
),
discussed AS (
    SELECT c.round_id, t.topic_seq, count(DISTINCT c.application_id) AS respondents_discussed
    FROM checkins AS c, unnest(c.topics_discussed) AS t(topic_seq)
    GROUP BY c.round_id, t.topic_seq
)
SELECT
    u.round_id,
    u.round_seq,
    u.topic_seq,
    u.title,
    u.send_on,
    u.partnerships,
    u.partnerships_discussed,
    round(u.partnerships_discussed / nullif(u.partnerships, 0), 4) AS share_of_partnerships,
    coalesce(resp.checkin_respondents, 0) AS checkin_respondents,
    coalesce(d.respondents_discussed, 0) AS respondents_discussed,
    round(coalesce(d.respondents_discussed, 0) / nullif(resp.checkin_respondents, 0), 4) AS share_of_respondents
FROM topic_uptake AS u  -- the topics, their partnerships, and the partnerships that discussed each
LEFT JOIN respondents AS resp ON resp.round_id = u.round_id
LEFT JOIN discussed AS d ON d.round_id = u.round_id AND d.topic_seq = u.topic_seq
ORDER BY u.round_seq, u.topic_seq
