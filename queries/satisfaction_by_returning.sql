-- Per round, returning participants (took part in an earlier round) against newcomers: survey respondents, the share satisfied (4 or 5 of 5) with the program and with their partner, the means, and a 95% Wilson interval for each share.
WITH s AS (
    SELECT
        s.round_id,
        p.is_returning,
        count(*) AS respondents,
        count(*) FILTER (WHERE s.program_satisfaction >= 4) AS program_satisfied,
        avg(s.program_satisfaction) AS program_mean,
        count(s.partner_satisfaction) AS partner_respondents,
        count(*) FILTER (WHERE s.partner_satisfaction >= 4) AS partner_satisfied,
        avg(s.partner_satisfaction) AS partner_mean
    FROM surveys AS s
    JOIN (SELECT DISTINCT application_id, is_returning FROM participants) AS p
        ON p.application_id = s.application_id
    GROUP BY s.round_id, p.is_returning
),
p AS (
    SELECT *,
        program_satisfied / respondents AS ps,
        partner_satisfied / nullif(partner_respondents, 0) AS qs
    FROM s
)
SELECT
    p.round_id,
    r.seq AS round_seq,
    CASE WHEN p.is_returning THEN 'returning' ELSE 'new' END AS participant_group,
    p.is_returning,
    p.respondents,
    p.program_satisfied,
    round(p.ps, 4) AS program_satisfied_share,
    round(wilson_low(p.program_satisfied, p.respondents), 4) AS program_share_low,
    round(wilson_high(p.program_satisfied, p.respondents), 4) AS program_share_high,
    round(p.program_mean, 3) AS program_mean,
    p.partner_respondents,
    p.partner_satisfied,
    round(p.qs, 4) AS partner_satisfied_share,
    round(wilson_low(p.partner_satisfied, p.partner_respondents), 4) AS partner_share_low,
    round(wilson_high(p.partner_satisfied, p.partner_respondents), 4) AS partner_share_high,
    round(p.partner_mean, 3) AS partner_mean
FROM p
JOIN rounds AS r ON r.round_id = p.round_id
ORDER BY r.seq, p.is_returning
