-- The workbench's DuckDB macros: a rule written once, used by the views in queries/, the data checks and
-- the library. Applied by workbench.db.apply_schema() right after schema.sql; every statement is
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
