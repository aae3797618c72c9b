-- The workbench's tables at the latest schema version, what a new file gets. Applied by
-- workbench.migrations.apply_schema() (through migrations.open_live); every statement is idempotent.
-- Keys are <entity>_id; timestamps end in _at, dates in _on; lists are DuckDB LIST columns.

CREATE TABLE IF NOT EXISTS schema_info (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS countries (
    iso3               VARCHAR PRIMARY KEY CHECK (length(iso3) = 3 AND iso3 = upper(iso3)),
    iso2               VARCHAR NOT NULL UNIQUE CHECK (length(iso2) = 2),
    name               VARCHAR NOT NULL,
    continent          VARCHAR NOT NULL,
    un_region          VARCHAR NOT NULL,
    timezone           VARCHAR NOT NULL,
    utc_offset_minutes INTEGER NOT NULL CHECK (utc_offset_minutes BETWEEN -720 AND 840)
);

CREATE TABLE IF NOT EXISTS rounds (
    round_id    VARCHAR PRIMARY KEY,
    label       VARCHAR NOT NULL,
    seq         INTEGER NOT NULL UNIQUE CHECK (seq >= 1),
    opens_on    DATE NOT NULL,
    starts_on   DATE NOT NULL,
    ends_on     DATE NOT NULL,
    status      VARCHAR NOT NULL CHECK (status IN ('open', 'matching', 'running', 'closed')),
    country_cap DOUBLE NOT NULL DEFAULT 0.2 CHECK (country_cap > 0 AND country_cap <= 1),
    version     INTEGER NOT NULL DEFAULT 1,
    CHECK (opens_on <= starts_on AND starts_on < ends_on)
);

CREATE TABLE IF NOT EXISTS people (
    person_id  INTEGER PRIMARY KEY,
    -- unique by the check people_email_unique, not an index: an index would stop erasure (DuckDB
    -- cannot update an indexed column of a row that other tables reference)
    email      VARCHAR NOT NULL CHECK (email = lower(trim(email)) AND email LIKE '%_@_%'),
    name       VARCHAR NOT NULL CHECK (length(trim(name)) > 0),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS applications (
    application_id     INTEGER PRIMARY KEY,
    round_id           VARCHAR NOT NULL REFERENCES rounds (round_id),
    -- people (person_id): the data check applications_without_person, not a foreign key, and one live
    -- application a person a round by the check person_twice_in_round, not a unique index: DuckDB cannot change
    -- an indexed column of a row other tables reference, and merging or splitting people moves applications
    person_id          INTEGER NOT NULL,
    submitted_at       TIMESTAMP NOT NULL,
    name               VARCHAR NOT NULL CHECK (length(trim(name)) > 0),
    email              VARCHAR NOT NULL,
    country_iso3       VARCHAR NOT NULL REFERENCES countries (iso3),
    -- sector, career stage and the partner wishes: values of the program's vocabularies (vocabulary_terms;
    -- the data check values_outside_vocabularies), not fixed lists, so a director can change them
    sector             VARCHAR NOT NULL,
    career_stage       VARCHAR NOT NULL,
    interests          VARCHAR[] NOT NULL CHECK (len(interests) BETWEEN 1 AND 10),
    languages          VARCHAR[] NOT NULL CHECK (len(languages) >= 1),
    timezone           VARCHAR NOT NULL,
    utc_offset_minutes INTEGER NOT NULL CHECK (utc_offset_minutes BETWEEN -720 AND 840),
    partner_sector     VARCHAR,
    partner_stage      VARCHAR,
    partner_interests  VARCHAR[] NOT NULL DEFAULT [],
    status             VARCHAR NOT NULL CHECK (status IN ('received', 'accepted', 'waitlisted', 'withdrawn')),
    status_reason      VARCHAR,
    source             VARCHAR NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    -- where the applicant works, as given (optional; the organisation cross-border rule compares it, normalised)
    organisation       VARCHAR,
    -- the organisation as the rule compares it (workbench.matching.rules.organisation_key), stored when the row
    -- is written so the SQL checks compare exactly what the matching compared
    organisation_key   VARCHAR
);

-- Every address a person has used (workbench.people.identity): people.email is the latest of them, where
-- messages go. first/last_seen_at: the first and last application (or link, merge) that used it. One person per
-- address (the email key); person_id is a person (the data check person_addresses_match_people), not a foreign
-- key, so a merge can move addresses. Erasure removes an erased person's addresses.
CREATE TABLE IF NOT EXISTS person_addresses (
    email         VARCHAR PRIMARY KEY CHECK (email = lower(trim(email)) AND email LIKE '%_@_%'),
    person_id     INTEGER NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    source        VARCHAR NOT NULL,
    CHECK (first_seen_at <= last_seen_at)
);

CREATE TABLE IF NOT EXISTS match_runs (
    run_id        INTEGER PRIMARY KEY,
    round_id      VARCHAR NOT NULL REFERENCES rounds (round_id),
    created_at    TIMESTAMP NOT NULL,
    created_by    VARCHAR NOT NULL,
    parameters    VARCHAR NOT NULL,          -- JSON: weights, time limit, odd-person policy
    status        VARCHAR NOT NULL CHECK (status IN ('proposed', 'published', 'discarded')),
    solver_status VARCHAR NOT NULL,
    people        INTEGER NOT NULL CHECK (people >= 0),
    matched       INTEGER NOT NULL CHECK (matched >= 0 AND matched <= people),
    objective     DOUBLE,
    bound         DOUBLE,
    gap           DOUBLE CHECK (gap >= 0),
    seconds       DOUBLE CHECK (seconds >= 0),
    version       INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS partnerships (
    partnership_id INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL REFERENCES match_runs (run_id),
    round_id       VARCHAR NOT NULL REFERENCES rounds (round_id),
    kind           VARCHAR NOT NULL CHECK (kind IN ('pair', 'trio')),
    score          DOUBLE,
    score_detail   VARCHAR,                  -- JSON: the score broken down
    -- proposed (in a run not published), broken (taken apart by a coordinator before publishing),
    -- active (published, round running), completed (round over), ended (ended early)
    status         VARCHAR NOT NULL CHECK (status IN ('proposed', 'broken', 'active', 'completed', 'ended')),
    is_locked      BOOLEAN NOT NULL DEFAULT false,
    created_at     TIMESTAMP NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS partnership_members (
    partnership_id INTEGER NOT NULL REFERENCES partnerships (partnership_id),
    application_id INTEGER NOT NULL REFERENCES applications (application_id),
    PRIMARY KEY (partnership_id, application_id)
);

-- Why a run left someone without a partner, and the smallest change that would place them.
CREATE TABLE IF NOT EXISTS match_unmatched (
    run_id         INTEGER NOT NULL REFERENCES match_runs (run_id),
    application_id INTEGER NOT NULL REFERENCES applications (application_id),
    code           VARCHAR NOT NULL,
    reason         VARCHAR NOT NULL,
    change         VARCHAR NOT NULL,
    PRIMARY KEY (run_id, application_id)
);

CREATE TABLE IF NOT EXISTS match_rules (
    rule_id          INTEGER PRIMARY KEY,
    round_id         VARCHAR NOT NULL REFERENCES rounds (round_id),
    kind             VARCHAR NOT NULL CHECK (kind IN ('lock', 'forbid', 'exclude')),
    application_a_id INTEGER NOT NULL REFERENCES applications (application_id),
    application_b_id INTEGER REFERENCES applications (application_id),
    reason           VARCHAR,
    created_by       VARCHAR NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    CHECK ((kind = 'exclude') = (application_b_id IS NULL)),
    CHECK (application_b_id IS NULL OR application_a_id <> application_b_id)
);

CREATE TABLE IF NOT EXISTS topics (
    topic_id INTEGER PRIMARY KEY,
    round_id VARCHAR NOT NULL REFERENCES rounds (round_id),
    seq      INTEGER NOT NULL CHECK (seq >= 1),
    title    VARCHAR NOT NULL CHECK (length(trim(title)) > 0),
    body     VARCHAR NOT NULL,
    send_on  DATE NOT NULL,
    version  INTEGER NOT NULL DEFAULT 1,
    UNIQUE (round_id, seq)
);

CREATE TABLE IF NOT EXISTS checkins (
    checkin_id          INTEGER PRIMARY KEY,
    application_id      INTEGER NOT NULL REFERENCES applications (application_id),
    partnership_id      INTEGER NOT NULL REFERENCES partnerships (partnership_id),
    round_id            VARCHAR NOT NULL REFERENCES rounds (round_id),
    fortnight           INTEGER NOT NULL CHECK (fortnight BETWEEN 1 AND 12),
    submitted_on        DATE NOT NULL,
    contact_made        BOOLEAN NOT NULL,
    partner_replied     BOOLEAN,                 -- did the partner reply within a week?
    methods             VARCHAR[] NOT NULL DEFAULT [],
    topics_discussed    INTEGER[] NOT NULL DEFAULT [],   -- topic seq numbers
    rating              INTEGER CHECK (rating BETWEEN 1 AND 5),
    -- where the answer came from: 'import' (a form service's file) or 'link' (the check-in page of the email)
    source              VARCHAR DEFAULT 'import',
    note                VARCHAR,                 -- the participant's note to the coordinators
    UNIQUE (application_id, fortnight)
);

CREATE TABLE IF NOT EXISTS surveys (
    survey_id             INTEGER PRIMARY KEY,
    application_id        INTEGER NOT NULL UNIQUE REFERENCES applications (application_id),
    round_id              VARCHAR NOT NULL REFERENCES rounds (round_id),
    submitted_on          DATE NOT NULL,
    program_satisfaction  INTEGER NOT NULL CHECK (program_satisfaction BETWEEN 1 AND 5),
    partner_satisfaction  INTEGER CHECK (partner_satisfaction BETWEEN 1 AND 5),
    methods               VARCHAR[] NOT NULL DEFAULT [],
    used_topics           BOOLEAN NOT NULL,
    would_return          BOOLEAN,
    impact_text           VARCHAR,
    impact_codes          VARCHAR[] NOT NULL DEFAULT [],
    codes_confirmed       BOOLEAN NOT NULL DEFAULT false,
    version               INTEGER NOT NULL DEFAULT 1,  -- optimistic versioning of impact coding
    is_cleared            BOOLEAN NOT NULL DEFAULT false,  -- impact_text cleared for public use (quotes)
    source                VARCHAR DEFAULT 'import'         -- 'import' (a form service's file) or 'link'
);

-- Accounts: everyone who signs in to the workbench, with a role (workbench.access) and, for a country
-- coordinator, the countries they look after. password_hash is argon2 (NULL: no usable password;
-- sign in through the identity provider or have a director set one).
CREATE TABLE IF NOT EXISTS coordinators (
    coordinator_id  VARCHAR PRIMARY KEY,
    name            VARCHAR NOT NULL,
    email           VARCHAR NOT NULL UNIQUE,
    role            VARCHAR NOT NULL
        CHECK (role IN ('director', 'coordinator', 'country', 'analyst', 'presenter')),
    countries       VARCHAR[] NOT NULL DEFAULT [],
    password_hash   VARCHAR,
    is_active       BOOLEAN NOT NULL DEFAULT true,
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    last_failed_at  TIMESTAMP,
    locked_until    TIMESTAMP,
    last_sign_in_at TIMESTAMP,
    created_at      TIMESTAMP,
    version         INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS interventions (
    intervention_id INTEGER PRIMARY KEY,
    partnership_id  INTEGER NOT NULL REFERENCES partnerships (partnership_id),
    application_id  INTEGER REFERENCES applications (application_id),  -- the participant who raised it
    round_id        VARCHAR NOT NULL REFERENCES rounds (round_id),
    opened_on       DATE NOT NULL,
    reason          VARCHAR NOT NULL,
    status          VARCHAR NOT NULL
        CHECK (status IN ('open', 'contacted', 'resolved', 'rematched', 'ended')),
    coordinator_id  VARCHAR REFERENCES coordinators (coordinator_id),
    notes           VARCHAR NOT NULL DEFAULT '',
    updated_at      TIMESTAMP NOT NULL,
    closed_on       DATE,
    version         INTEGER NOT NULL DEFAULT 1,
    CHECK ((status IN ('resolved', 'rematched', 'ended')) = (closed_on IS NOT NULL))
);

CREATE TABLE IF NOT EXISTS audit_log (
    audit_id  INTEGER PRIMARY KEY,
    logged_at TIMESTAMP NOT NULL,
    actor     VARCHAR NOT NULL,
    action    VARCHAR NOT NULL,
    entity    VARCHAR NOT NULL,
    entity_id VARCHAR NOT NULL,
    before    VARCHAR,                 -- JSON
    after     VARCHAR                  -- JSON
);

-- One row per schema upgrade this file has been through (workbench.migrations); empty for a file
-- created at the current version.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    description VARCHAR NOT NULL,
    applied_at  TIMESTAMP NOT NULL,
    backup_path VARCHAR
);

-- The program's settings (workbench.program): one row per setting changed from its default; the value is
-- JSON. Versioned like every edit, and every change is in the audit log.
CREATE TABLE IF NOT EXISTS settings (
    key        VARCHAR PRIMARY KEY,
    value      VARCHAR NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL,
    updated_by VARCHAR NOT NULL
);

-- The program's vocabularies (workbench.program.vocabularies): sectors, career stages, areas of interest,
-- working languages, ways of keeping in touch, impact categories. One row per kind and value, with the label
-- people read and the synonyms an import accepts; a new database is seeded with the sample program's lists
-- (workbench/vocab.py). Versioned like every edit, and every change is in the audit log.
CREATE TABLE IF NOT EXISTS vocabulary_terms (
    kind       VARCHAR NOT NULL
        CHECK (kind IN ('sector', 'career_stage', 'interest', 'language', 'method', 'impact_category')),
    value      VARCHAR NOT NULL CHECK (length(trim(value)) > 0),
    label      VARCHAR NOT NULL CHECK (length(trim(label)) > 0),
    synonyms   VARCHAR[] NOT NULL DEFAULT [],
    position   INTEGER NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL,
    updated_by VARCHAR NOT NULL,
    PRIMARY KEY (kind, value)
);

-- The outbox (workbench.messages.outbox): one row per message the program sends, with its rendered subject
-- and body and its recipients, each with their own status (queued, sent, failed) and the server's answer.
-- The message's status follows them: queued while any waits, then sent, partial or failed. dedupe_key makes
-- queuing the same message twice add nothing.
CREATE TABLE IF NOT EXISTS outbox (
    outbox_id        INTEGER PRIMARY KEY,
    kind             VARCHAR NOT NULL CHECK (kind IN ('introduction', 'topic', 'reminder', 'survey', 'confirmation',
                                                  'notice')),
    round_id         VARCHAR NOT NULL REFERENCES rounds (round_id),
    partnership_id   INTEGER,
    topic_id         INTEGER,
    language         VARCHAR NOT NULL,
    subject          VARCHAR NOT NULL,
    body             VARCHAR NOT NULL,
    sender           VARCHAR NOT NULL,
    reply_to         VARCHAR,
    list_unsubscribe VARCHAR,
    recipients       STRUCT(application_id INTEGER, name VARCHAR, email VARCHAR, status VARCHAR,
                            server_response VARCHAR)[] NOT NULL,
    countries        VARCHAR[] NOT NULL DEFAULT [],
    status           VARCHAR NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'partial')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       VARCHAR,
    message_id       VARCHAR NOT NULL,
    dedupe_key       VARCHAR NOT NULL UNIQUE,
    created_at       TIMESTAMP NOT NULL,
    created_by       VARCHAR NOT NULL,
    sent_at          TIMESTAMP
);

-- The participants' pages (workbench.participants): the rounds open for applications on the form and until
-- when; applications sent on the form (unconfirmed until the applicant follows the emailed link, then
-- confirmed and imported as an application; withdrawn; expired when never confirmed); people who asked for
-- no more topics, reminders or surveys (RFC 8058 one-click); requests to be forgotten a director confirms.
CREATE TABLE IF NOT EXISTS application_windows (
    round_id  VARCHAR PRIMARY KEY REFERENCES rounds (round_id),
    opens_on  DATE NOT NULL,
    closes_on DATE NOT NULL,
    closed_at TIMESTAMP,
    opened_by VARCHAR NOT NULL,
    CHECK (opens_on <= closes_on)
);

CREATE TABLE IF NOT EXISTS form_applications (
    form_application_id INTEGER PRIMARY KEY,
    round_id            VARCHAR NOT NULL REFERENCES rounds (round_id),
    email               VARCHAR NOT NULL,
    name                VARCHAR NOT NULL,
    answers             VARCHAR NOT NULL,
    language            VARCHAR NOT NULL,
    earlier_email       VARCHAR,
    status              VARCHAR NOT NULL CHECK (status IN ('unconfirmed', 'confirmed', 'withdrawn', 'expired')),
    submitted_at        TIMESTAMP NOT NULL,
    expires_at          TIMESTAMP NOT NULL,
    confirmed_at        TIMESTAMP,
    withdrawn_at        TIMESTAMP,
    application_id      INTEGER,
    person_id           INTEGER,
    version             INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS opt_outs (
    person_id    INTEGER PRIMARY KEY,
    opted_out_at TIMESTAMP NOT NULL,
    how          VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS forget_requests (
    request_id   INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    status       VARCHAR NOT NULL CHECK (status IN ('requested', 'erased', 'declined')),
    decided_by   VARCHAR,
    decided_at   TIMESTAMP
);
