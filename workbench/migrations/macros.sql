-- The workbench's DuckDB macros: a rule written once, used by the views in queries/, the data checks and
-- the library. Applied by workbench.migrations.apply_schema() right after schema.sql; every statement is
-- idempotent (CREATE OR REPLACE), and the macros travel with the database file and its snapshot, so
-- an analyst can call them in the DuckDB CLI too.

-- country_cap_limit(cap_share, live_applications): the per-country cap of a round (domain.md, step 2).
-- How many accepted applicants, and so participants, one country may have in a round whose cap is
-- `cap_share` (rounds.country_cap, 0.2 = 20%) and which has `live_applications` applications that are
-- not withdrawn. The cap is a share of the round's live applications, rounded down, and never below one
-- (a tiny round still admits someone from every country); the 1e-9 keeps 0.29 * 100, which is
-- 28.999999999999996 in doubles, from flooring to 28.
-- Example: SELECT country_cap_limit(0.2, 1188) -- 237
CREATE OR REPLACE MACRO country_cap_limit(cap_share, live_applications) AS
    greatest(1, floor(cap_share * live_applications + 1e-9))::INTEGER;

-- cap_side(cross_border, country_iso3, un_region, organisation_key): the side of the program's cross-border rule
-- (the setting cross_border) that the cap limits: one side may have at most country_cap_limit(...) accepted
-- applicants. The country under 'country', the UN M49 sub-region under 'region' (the country itself when it
-- has none), the organisation key stored with the application (applications.organisation_key, made by
-- workbench.matching.rules.organisation_key) under 'organisation' (NULL when none was given), and NULL under
-- 'none' (no cap). A NULL side is never capped. The library's admission says the same
-- (workbench.applications.admission.cap_side; tests/test_defects_17.py compares them).
-- Example: SELECT cap_side('organisation', 'USA', 'Northern America', 'boston public library')
--   -- 'boston public library'
CREATE OR REPLACE MACRO cap_side(cross_border, country_iso3, un_region, organisation_key) AS
    CASE cross_border
        WHEN 'country' THEN country_iso3
        WHEN 'region' THEN coalesce(nullif(un_region, ''), country_iso3)
        WHEN 'organisation' THEN nullif(organisation_key, '')
    END;

-- wilson_bound(successes, n, z): one end of the Wilson score interval of the proportion successes / n,
-- the lower end for a negative z and the upper end for a positive one; NULL when n is 0 (or NULL).
-- The one formula behind wilson_low and wilson_high (call those).
CREATE OR REPLACE MACRO wilson_bound(successes, n, z) AS
    CASE WHEN n > 0 THEN
        (successes::DOUBLE / n + z * z / (2 * n)
         + z * sqrt((successes::DOUBLE / n) * (1 - successes::DOUBLE / n) / n + z * z / (4 * n * n)))
        / (1 + z * z / n)
    END;

-- wilson_low(successes, n) and wilson_high(successes, n): the 95% Wilson score interval (z = 1.959964)
-- of the share of `successes` among `n`, as the satisfaction views report it; NULL when n is 0 (a round
-- with no answers has no interval). Unlike the normal approximation it stays inside [0, 1] and is sound
-- for small n and shares near 0 or 1.
-- Example: SELECT round(wilson_low(45, 50), 4), round(wilson_high(45, 50), 4) -- 0.7864, 0.9565
CREATE OR REPLACE MACRO wilson_low(successes, n) AS wilson_bound(successes, n, -1.959964);
CREATE OR REPLACE MACRO wilson_high(successes, n) AS wilson_bound(successes, n, 1.959964);
