-- Per round, time-zone distance of the partnership (0–3 h, 3½–7½ h or 8–12 h between its members' UTC offsets, the shorter way round the clock; a trio by its widest gap) and method: the share of reporting partnerships that used the method.
WITH offsets AS (
    SELECT p.round_id, p.round_seq, p.partnership_id, a.utc_offset_minutes AS utc_offset
    FROM participants AS p JOIN applications AS a ON a.application_id = p.application_id
),
distance AS (
    SELECT x.round_id, x.round_seq, x.partnership_id,
        max(least(abs(x.utc_offset - y.utc_offset), 1440 - abs(x.utc_offset - y.utc_offset))) / 60 AS hours_apart
    FROM offsets AS x JOIN offsets AS y ON y.partnership_id = x.partnership_id
    GROUP BY x.round_id, x.round_seq, x.partnership_id
),
banded AS (
    SELECT *,
        CASE WHEN hours_apart <= 3 THEN 1 WHEN hours_apart < 8 THEN 2 ELSE 3 END AS band_seq
    FROM distance
),
reports AS (
    SELECT c.partnership_id, m.method
    FROM checkins AS c, unnest(c.methods) AS m(method)
    UNION
    SELECT pm.partnership_id, m.method
    FROM surveys AS s
    JOIN partnership_members AS pm ON pm.application_id = s.application_id
    JOIN participants AS p ON p.partnership_id = pm.partnership_id AND p.application_id = s.application_id,
    unnest(s.methods) AS m(method)
),
reporting AS (
    SELECT b.round_id, b.round_seq, b.band_seq, count(DISTINCT b.partnership_id) AS partnerships_reporting,
        round(avg(b.hours_apart), 2) AS mean_hours_apart
    FROM banded AS b WHERE b.partnership_id IN (SELECT partnership_id FROM reports)
    GROUP BY b.round_id, b.round_seq, b.band_seq
),
methods AS (
    SELECT * FROM (VALUES ('email', 1), ('video call', 2), ('chat', 3), ('social media', 4), ('phone', 5),
        ('other', 6)) AS m(method, method_seq)
),
bands AS (
    SELECT * FROM (VALUES (1, '0–3 h'), (2, '3½–7½ h'), (3, '8–12 h')) AS b(band_seq, distance_band)
),
used AS (
    SELECT b.round_id, b.band_seq, r.method, count(DISTINCT b.partnership_id) AS partnerships_using
    FROM banded AS b JOIN reports AS r ON r.partnership_id = b.partnership_id
    GROUP BY b.round_id, b.band_seq, r.method
)
SELECT
    reporting.round_id,
    reporting.round_seq,
    bands.distance_band,
    reporting.band_seq,
    methods.method,
    methods.method_seq,
    reporting.partnerships_reporting,
    reporting.mean_hours_apart,
    coalesce(used.partnerships_using, 0) AS partnerships_using,
    round(coalesce(used.partnerships_using, 0) / reporting.partnerships_reporting, 4) AS share_of_partnerships
FROM reporting
JOIN bands ON bands.band_seq = reporting.band_seq
CROSS JOIN methods
LEFT JOIN used ON used.round_id = reporting.round_id AND used.band_seq = reporting.band_seq
    AND used.method = methods.method
ORDER BY reporting.round_seq, reporting.band_seq, methods.method_seq
