-- Per round: country-to-country partnerships of the published matching (each pair of countries once, alphabetically; a trio counts once for each of its three pairs of members).
SELECT
    a.round_id,
    a.round_seq,
    least(a.country_iso3, b.country_iso3) AS country_a,
    greatest(a.country_iso3, b.country_iso3) AS country_b,
    ca.name AS country_a_name,
    cb.name AS country_b_name,
    count(*) AS partnerships
FROM participants AS a
JOIN participants AS b ON b.partnership_id = a.partnership_id AND a.application_id < b.application_id
JOIN countries AS ca ON ca.iso3 = least(a.country_iso3, b.country_iso3)
JOIN countries AS cb ON cb.iso3 = greatest(a.country_iso3, b.country_iso3)
GROUP BY ALL
ORDER BY a.round_seq, partnerships DESC, country_a, country_b
