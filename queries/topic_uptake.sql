-- Per round and fortnightly topic: the share of partnerships whose check-ins say they discussed it, and the round's share of survey respondents who used the topics at all.
WITH pairs AS (
    SELECT round_id, count(DISTINCT partnership_id) AS partnerships FROM participants GROUP BY round_id
),
discussed AS (
    SELECT c.round_id, t.topic_seq, count(DISTINCT c.partnership_id) AS partnerships_discussed
    FROM checkins AS c, unnest(c.topics_discussed) AS t(topic_seq)
    GROUP BY c.round_id, t.topic_seq
),
used AS (
    SELECT round_id, count(*) AS respondents, count(*) FILTER (WHERE used_topics) AS used_topics
    FROM surveys GROUP BY round_id
)
SELECT
    t.round_id,
    r.seq AS round_seq,
    t.seq AS topic_seq,
    t.title,
    t.send_on,
    coalesce(pairs.partnerships, 0) AS partnerships,
    coalesce(d.partnerships_discussed, 0) AS partnerships_discussed,
    round(d.partnerships_discussed / nullif(pairs.partnerships, 0), 4) AS share_discussed,
    coalesce(used.respondents, 0) AS respondents,
    coalesce(used.used_topics, 0) AS respondents_used_topics,
    round(used.used_topics / nullif(used.respondents, 0), 4) AS share_used_topics
FROM topics AS t
JOIN rounds AS r ON r.round_id = t.round_id
LEFT JOIN pairs ON pairs.round_id = t.round_id
LEFT JOIN discussed AS d ON d.round_id = t.round_id AND d.topic_seq = t.seq
LEFT JOIN used ON used.round_id = t.round_id
ORDER BY r.seq, t.seq
