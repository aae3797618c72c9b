-- Per round and fortnight: the participants asked to check in, how many answered (by link from the program's email, by an imported form file), how many have not answered yet, how many of those the fortnight's topic email bounced for, how many were reminded, and the response rate with its 95% Wilson interval.
WITH asked AS (
    SELECT DISTINCT round_id, round_seq, application_id FROM participants
),
grid AS (
    SELECT a.round_id, a.round_seq, a.application_id, t.seq AS fortnight, t.topic_id
    FROM asked AS a JOIN topics AS t ON t.round_id = a.round_id
),
sent AS (
    SELECT kind, topic_id, unnest(recipients) AS r FROM outbox WHERE kind IN ('topic', 'reminder')
),
bounced AS (
    SELECT DISTINCT topic_id, r.application_id FROM sent WHERE kind = 'topic' AND r.status = 'failed'
),
reminded AS (
    SELECT DISTINCT topic_id, r.application_id FROM sent WHERE kind = 'reminder' AND r.status = 'sent'
),
joined AS (
    SELECT g.round_id, g.round_seq, g.fortnight, g.application_id, c.source,
        b.application_id IS NOT NULL AS is_bounced, m.application_id IS NOT NULL AS is_reminded
    FROM grid AS g
    LEFT JOIN checkins AS c ON c.application_id = g.application_id AND c.fortnight = g.fortnight
    LEFT JOIN bounced AS b ON b.topic_id = g.topic_id AND b.application_id = g.application_id
    LEFT JOIN reminded AS m ON m.topic_id = g.topic_id AND m.application_id = g.application_id
),
counted AS (
    SELECT round_id, round_seq, fortnight,
        count(*) AS participants,
        count(source) AS answered,
        count(*) FILTER (WHERE source = 'link') AS answered_by_link,
        count(*) FILTER (WHERE source IS NOT NULL AND source <> 'link') AS answered_by_import,
        count(*) FILTER (WHERE source IS NULL AND is_bounced) AS bounced,
        count(*) FILTER (WHERE source IS NULL AND NOT is_bounced) AS not_answered,
        count(*) FILTER (WHERE is_reminded) AS reminded,
        count(*) FILTER (WHERE is_reminded AND source IS NOT NULL) AS answered_after_reminder
    FROM joined
    GROUP BY round_id, round_seq, fortnight
)
SELECT
    round_id,
    round_seq,
    fortnight,
    participants,
    answered,
    answered_by_link,
    answered_by_import,
    not_answered,
    bounced,
    reminded,
    answered_after_reminder,
    round(answered / participants, 4) AS response_rate,
    greatest(round(wilson_low(answered, participants), 4), 0) AS response_rate_low,
    round(wilson_high(answered, participants), 4) AS response_rate_high
FROM counted
ORDER BY round_seq, fortnight
