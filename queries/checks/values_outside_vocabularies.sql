-- Values stored in applications (sector, career stage, interests, languages, partner wishes), check-ins and surveys (methods, impact codes) that are not terms of the program's vocabularies (vocabulary_terms): a value an import kept as written and nobody has confirmed yet (map it, or add it with `workbench vocab add`). Must return no rows.
WITH stored AS (
    SELECT 'sector' AS kind, 'applications.sector' AS used_in, sector AS value FROM applications
    UNION ALL SELECT 'sector', 'applications.partner_sector', partner_sector FROM applications
        WHERE partner_sector IS NOT NULL
    UNION ALL SELECT 'career_stage', 'applications.career_stage', career_stage FROM applications
    UNION ALL SELECT 'career_stage', 'applications.partner_stage', partner_stage FROM applications
        WHERE partner_stage IS NOT NULL
    UNION ALL SELECT 'interest', 'applications.interests', unnest(interests) FROM applications
    UNION ALL SELECT 'interest', 'applications.partner_interests', unnest(partner_interests) FROM applications
    UNION ALL SELECT 'language', 'applications.languages', unnest(languages) FROM applications
    UNION ALL SELECT 'method', 'checkins.methods', unnest(methods) FROM checkins
    UNION ALL SELECT 'method', 'surveys.methods', unnest(methods) FROM surveys
    UNION ALL SELECT 'impact_category', 'surveys.impact_codes', unnest(impact_codes) FROM surveys
)
SELECT s.kind, s.used_in, s.value, count(*) AS rows
FROM stored AS s
ANTI JOIN vocabulary_terms AS v ON v.kind = s.kind AND v.value = s.value
GROUP BY s.kind, s.used_in, s.value
ORDER BY 1, 2, 3
