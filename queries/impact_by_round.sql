-- Per round and impact category: coded answers to "What impact has your involvement had on your work?" and the share of coded respondents in each category of the program's coding frame (its impact_category vocabulary, in order; answers can carry several codes).
WITH coded AS (
    SELECT round_id, survey_id, impact_codes
    FROM surveys
    WHERE impact_text IS NOT NULL AND codes_confirmed
),
totals AS (
    SELECT round_id, count(*) AS coded_respondents FROM coded GROUP BY round_id
),
hits AS (
    SELECT round_id, code, count(*) AS respondents
    FROM coded, unnest(impact_codes) AS u(code)
    GROUP BY round_id, code
),
uncoded AS (
    SELECT round_id, count(*) AS awaiting_coding
    FROM surveys WHERE impact_text IS NOT NULL AND NOT codes_confirmed GROUP BY round_id
)
SELECT
    t.round_id,
    r.seq AS round_seq,
    ic.value AS code,
    ic.label,
    ic.position AS category_seq,
    t.coded_respondents,
    coalesce(h.respondents, 0) AS respondents,
    round(coalesce(h.respondents, 0) / t.coded_respondents, 4) AS share,
    coalesce(u.awaiting_coding, 0) AS awaiting_coding
FROM totals AS t
JOIN rounds AS r ON r.round_id = t.round_id
JOIN vocabulary_terms AS ic ON ic.kind = 'impact_category'
LEFT JOIN hits AS h ON h.round_id = t.round_id AND h.code = ic.value
LEFT JOIN uncoded AS u ON u.round_id = t.round_id
ORDER BY r.seq, ic.position
