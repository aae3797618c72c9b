-- Per round and method (email, video call, chat, social media, phone, other): the share of reporting partnerships that used it, from check-ins and end-of-round surveys.
WITH reports AS (
    SELECT c.round_id, c.partnership_id, m.method
    FROM checkins AS c, unnest(c.methods) AS m(method)
    UNION
    SELECT s.round_id, pm.partnership_id, m.method
    FROM surveys AS s
    JOIN partnership_members AS pm ON pm.application_id = s.application_id
    JOIN participants AS p ON p.partnership_id = pm.partnership_id AND p.application_id = s.application_id,
    unnest(s.methods) AS m(method)
),
reporting AS (
    SELECT round_id, count(DISTINCT partnership_id) AS partnerships_reporting FROM reports GROUP BY round_id
),
methods AS (
    SELECT value AS method, position AS method_seq FROM vocabulary_terms WHERE kind = 'method'
)
SELECT
    r.round_id,
    r.seq AS round_seq,
    methods.method,
    methods.method_seq,
    reporting.partnerships_reporting,
    count(DISTINCT reports.partnership_id) AS partnerships_using,
    round(count(DISTINCT reports.partnership_id) / reporting.partnerships_reporting, 4) AS share_of_partnerships
FROM reporting
JOIN rounds AS r ON r.round_id = reporting.round_id
CROSS JOIN methods
LEFT JOIN reports ON reports.round_id = reporting.round_id AND reports.method = methods.method
GROUP BY r.round_id, r.seq, methods.method, methods.method_seq, reporting.partnerships_reporting
ORDER BY r.seq, methods.method_seq
