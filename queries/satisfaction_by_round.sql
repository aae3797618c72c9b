-- Per round: survey respondents, the share satisfied (4 or 5 of 5) with the program and with their partner, the means, and a 95% Wilson interval for each share.
WITH s AS (
    SELECT
        round_id,
        count(*) AS respondents,
        count(*) FILTER (WHERE program_satisfaction >= 4) AS program_satisfied,
        avg(program_satisfaction) AS program_mean,
        count(partner_satisfaction) AS partner_respondents,
        count(*) FILTER (WHERE partner_satisfaction >= 4) AS partner_satisfied,
        avg(partner_satisfaction) AS partner_mean
    FROM surveys
    GROUP BY round_id
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
    p.respondents,
    round(p.ps, 4) AS program_satisfied_share,
    round(wilson_low(p.program_satisfied, p.respondents), 4) AS program_share_low,
    round(wilson_high(p.program_satisfied, p.respondents), 4) AS program_share_high,
    round(p.program_mean, 3) AS program_mean,
    p.partner_respondents,
    round(p.qs, 4) AS partner_satisfied_share,
    round(wilson_low(p.partner_satisfied, p.partner_respondents), 4) AS partner_share_low,
    round(wilson_high(p.partner_satisfied, p.partner_respondents), 4) AS partner_share_high,
    round(p.partner_mean, 3) AS partner_mean
FROM p
JOIN rounds AS r ON r.round_id = p.round_id
ORDER BY r.seq
