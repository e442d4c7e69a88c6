-- Deterministic demo data. Every random choice is a hash of (row number, seed, salt), so the same
-- seed and anchor give the same rows on any server, in any order of execution.
-- Placeholders {{name}} are filled by the seeder with validated integers and an ISO timestamp.
-- Steps are separated by "-- step: name [after: a,b]"; steps whose dependencies are met run in parallel.

-- step: functions
CREATE OR REPLACE FUNCTION pgopt_rnd(i bigint, salt bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (hashint8extended(i, salt) & 140737488355327)::float8 / 140737488355328.0;

-- Zipf(s=1) over 1..n: rank r is drawn with probability ~ 1/r (inverse of the log-uniform CDF).
-- With s < 1 the skew is milder: x = ((n+1)^(1-s) - 1) * u + 1)^(1/(1-s)). The workload's parameter
-- generator (ZipfSampler) uses the same formulas, so the hot keys of the data are the hot keys of the load.
CREATE OR REPLACE FUNCTION pgopt_zipf(i bigint, salt bigint, n bigint, s float8 DEFAULT 1.0) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN least(n, greatest(1, floor(CASE WHEN s = 1.0 THEN exp(pgopt_rnd(i, salt) * ln(n + 1.0))
                                       ELSE power((power(n + 1.0, 1.0 - s) - 1.0) * pgopt_rnd(i, salt) + 1.0, 1.0 / (1.0 - s)) END)::bigint));

CREATE OR REPLACE FUNCTION pgopt_word(h bigint, k int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ('{ai,platform,marketplace,fintech,health,climate,energy,solar,battery,robotics,logistics,supply,chain,
education,learning,analytics,data,cloud,security,privacy,payments,lending,insurance,retail,commerce,mobile,
app,social,network,community,creator,video,music,gaming,travel,food,delivery,farming,water,carbon,recycling,
biotech,genomics,medical,devices,wearable,fitness,mental,wellness,housing,realestate,construction,automation,
manufacturing,semiconductor,quantum,space,satellite,drone,mobility,electric,vehicle,fleet,subscription}'::text[])[1 + ((h >> (k * 6)) & 63)::int];

-- step: tenants after: functions
INSERT INTO tenants (id, name, slug, plan, created_at)
SELECT i,
       initcap(pgopt_word(hashint8extended(i, {{seed}} * 1000 + 1), 0)) || ' ' || initcap(pgopt_word(hashint8extended(i, {{seed}} * 1000 + 1), 1)) || ' ' || i,
       'tenant-' || i,
       (ARRAY['free', 'free', 'free', 'pro', 'pro', 'business', 'enterprise'])[1 + floor(pgopt_rnd(i, {{seed}} * 1000 + 2) * 7)::int],
       {{anchor}}::timestamptz - (pgopt_rnd(i, {{seed}} * 1000 + 3) * 1000) * interval '1 day'
FROM generate_series(1, {{tenants}}) AS i;

-- step: users after: tenants
INSERT INTO users (id, tenant_id, email, username, display_name, password_hash, role, is_active, created_at, last_login_at)
SELECT i,
       pgopt_zipf(i, {{seed}} * 1000 + 10, {{tenants}})::int,
       'user' || i || '@' || (ARRAY['example.com', 'pitchmail.io', 'acme.dev', 'startup.co'])[1 + (i % 4)],
       'user_' || i,
       initcap(pgopt_word(hashint8extended(i, {{seed}} * 1000 + 11), 2)) || ' ' || initcap(pgopt_word(hashint8extended(i, {{seed}} * 1000 + 11), 5)),
       md5(i::text || ':' || {{seed}}),
       CASE WHEN pgopt_rnd(i, {{seed}} * 1000 + 12) < 0.01 THEN 'owner'
            WHEN pgopt_rnd(i, {{seed}} * 1000 + 12) < 0.05 THEN 'admin'
            ELSE 'member' END,
       pgopt_rnd(i, {{seed}} * 1000 + 13) < 0.93,
       {{anchor}}::timestamptz - (pgopt_rnd(i, {{seed}} * 1000 + 14) * 730) * interval '1 day',
       CASE WHEN pgopt_rnd(i, {{seed}} * 1000 + 15) < 0.85
            THEN {{anchor}}::timestamptz - (-ln(1 - pgopt_rnd(i, {{seed}} * 1000 + 16)) * 5) * interval '1 day' END
FROM generate_series(1, {{users}}) AS i;

-- step: pitches after: users
INSERT INTO pitches (id, tenant_id, user_id, title, body, status, visibility, category, funding_goal, metadata,
                     view_count, like_count, created_at, updated_at, published_at)
SELECT g.i, u.tenant_id, g.uid,
       initcap(pgopt_word(g.h1, 0)) || ' ' || pgopt_word(g.h1, 1) || ' for ' || pgopt_word(g.h1, 2) || ' ' || pgopt_word(g.h1, 3),
       'We build ' || pgopt_word(g.h1, 4) || ' ' || pgopt_word(g.h1, 5) || ' ' || pgopt_word(g.h1, 6) || ' that helps '
         || pgopt_word(g.h1, 7) || ' teams with ' || pgopt_word(g.h1, 8) || ' and ' || pgopt_word(g.h1, 9) || '. Our '
         || pgopt_word(g.h2, 0) || ' ' || pgopt_word(g.h2, 1) || ' cuts ' || pgopt_word(g.h2, 2) || ' costs and grows '
         || pgopt_word(g.h2, 3) || ' ' || pgopt_word(g.h2, 4) || ' across ' || pgopt_word(g.h2, 5) || ', '
         || pgopt_word(g.h2, 6) || ' and ' || pgopt_word(g.h2, 7) || ' ' || pgopt_word(g.h2, 8) || ' markets.',
       g.status, g.visibility,
       (ARRAY['ai', 'fintech', 'health', 'climate', 'education', 'commerce', 'consumer', 'enterprise', 'hardware', 'biotech', 'media', 'mobility'])[1 + (g.h2 & 7)::int + ((g.h2 >> 60) & 3)::int],
       (5 + floor(pgopt_rnd(g.i, {{seed}} * 1000 + 26) * 200)::int) * 10000,
       jsonb_build_object('tags', jsonb_build_array(pgopt_word(g.h1, 2), pgopt_word(g.h2, 9)),
                          'stage', (ARRAY['idea', 'prototype', 'seed', 'series-a', 'growth'])[1 + ((g.h2 >> 54) & 3)::int + (g.i % 2)::int],
                          'featured', pgopt_rnd(g.i, {{seed}} * 1000 + 27) < 0.02),
       floor(50000.0 / g.rank_pop)::int + (g.h1 & 31)::int,
       floor(5000.0 / g.rank_pop)::int + (g.h2 & 7)::int,
       g.created_at,
       g.created_at + (pgopt_rnd(g.i, {{seed}} * 1000 + 28) * 3) * interval '1 day',
       CASE WHEN g.status IN ('active', 'archived') THEN g.created_at + (pgopt_rnd(g.i, {{seed}} * 1000 + 29) * 12) * interval '1 hour' END
FROM (
    SELECT i,
           pgopt_zipf(i, {{seed}} * 1000 + 20, {{users}}, 0.7)::int AS uid,
           hashint8extended(i, {{seed}} * 1000 + 21) AS h1,
           hashint8extended(i, {{seed}} * 1000 + 22) AS h2,
           -- popularity rank: Zipf over pitches, so a few are very popular
           pgopt_zipf(i, {{seed}} * 1000 + 23, {{pitches}}) AS rank_pop,
           CASE WHEN pgopt_rnd(i, {{seed}} * 1000 + 24) < 0.70 THEN 'active'
                WHEN pgopt_rnd(i, {{seed}} * 1000 + 24) < 0.85 THEN 'draft'
                WHEN pgopt_rnd(i, {{seed}} * 1000 + 24) < 0.97 THEN 'archived'
                ELSE 'deleted' END AS status,
           CASE WHEN pgopt_rnd(i, {{seed}} * 1000 + 25) < 0.75 THEN 'public'
                WHEN pgopt_rnd(i, {{seed}} * 1000 + 25) < 0.90 THEN 'private'
                ELSE 'unlisted' END AS visibility,
           -- pitches are written in time order; most are recent
           {{anchor}}::timestamptz - (-ln(i::float8 / ({{pitches}} + 1)) * 45) * interval '1 day' AS created_at
    FROM generate_series(1, {{pitches}}) AS i
) AS g
JOIN users AS u ON u.id = g.uid;

-- step: follows after: users
INSERT INTO follows (follower_id, followee_id, created_at)
SELECT f, t, {{anchor}}::timestamptz - (pgopt_rnd(i, {{seed}} * 1000 + 32) * 365) * interval '1 day'
FROM (
    SELECT i,
           1 + floor(pgopt_rnd(i, {{seed}} * 1000 + 30) * {{users}})::int AS f,
           pgopt_zipf(i, {{seed}} * 1000 + 31, {{users}})::int AS t
    FROM generate_series(1, {{follows}}) AS i
) AS g
WHERE f <> t
ON CONFLICT DO NOTHING;

-- step: sessions after: users
INSERT INTO sessions (id, user_id, created_at, expires_at, ip, user_agent)
SELECT md5('session:' || i || ':' || {{seed}})::uuid,
       pgopt_zipf(i, {{seed}} * 1000 + 40, {{users}}, 0.7)::int,
       c, c + interval '30 days',
       ('10.' || (i >> 16) % 256 || '.' || (i >> 8) % 256 || '.' || i % 256)::inet,
       (ARRAY['Mozilla/5.0 (Macintosh)', 'Mozilla/5.0 (Windows NT 10.0)', 'Mozilla/5.0 (iPhone)', 'Mozilla/5.0 (Linux; Android 14)'])[1 + (i % 4)::int]
FROM (SELECT i, {{anchor}}::timestamptz - (-ln(1 - pgopt_rnd(i, {{seed}} * 1000 + 41)) * 10) * interval '1 day' AS c
      FROM generate_series(1, {{sessions}}) AS i) AS g;

-- step: comments after: pitches
INSERT INTO comments (id, pitch_id, user_id, body, created_at, is_deleted)
SELECT i,
       pgopt_zipf(i, {{seed}} * 1000 + 50, {{pitches}}),
       pgopt_zipf(i, {{seed}} * 1000 + 51, {{users}}, 0.7)::int,
       'Love the ' || pgopt_word(hashint8extended(i, {{seed}} * 1000 + 52), 0) || ' angle, how do you handle ' || pgopt_word(hashint8extended(i, {{seed}} * 1000 + 52), 1) || '?',
       {{anchor}}::timestamptz - (-ln(i::float8 / ({{comments}} + 1)) * 30) * interval '1 day',
       pgopt_rnd(i, {{seed}} * 1000 + 53) < 0.03
FROM generate_series(1, {{comments}}) AS i;

-- step: likes after: pitches
INSERT INTO likes (user_id, pitch_id, created_at)
SELECT pgopt_zipf(i, {{seed}} * 1000 + 60, {{users}}, 0.7)::int,
       pgopt_zipf(i, {{seed}} * 1000 + 61, {{pitches}}),
       {{anchor}}::timestamptz - (-ln(i::float8 / ({{likes}} + 1)) * 30) * interval '1 day'
FROM generate_series(1, {{likes}}) AS i
ON CONFLICT DO NOTHING;

-- step: messages after: pitches
INSERT INTO messages (id, sender_id, recipient_id, pitch_id, body, created_at, read_at)
SELECT i, s, CASE WHEN r = s THEN 1 + r % {{users}} ELSE r END,
       CASE WHEN pgopt_rnd(i, {{seed}} * 1000 + 72) < 0.4 THEN pgopt_zipf(i, {{seed}} * 1000 + 73, {{pitches}}) END,
       'Hi, about your ' || pgopt_word(hashint8extended(i, {{seed}} * 1000 + 74), 0) || ' pitch: can we talk ' || pgopt_word(hashint8extended(i, {{seed}} * 1000 + 74), 1) || '?',
       c,
       CASE WHEN pgopt_rnd(i, {{seed}} * 1000 + 75) < 0.7 THEN c + interval '2 hours' END
FROM (SELECT i,
             pgopt_zipf(i, {{seed}} * 1000 + 70, {{users}}, 0.7)::int AS s,
             pgopt_zipf(i, {{seed}} * 1000 + 71, {{users}}, 0.7)::int AS r,
             {{anchor}}::timestamptz - (-ln(i::float8 / ({{messages}} + 1)) * 20) * interval '1 day' AS c
      FROM generate_series(1, {{messages}}) AS i) AS g;

-- step: notifications after: pitches
INSERT INTO notifications (id, user_id, kind, payload, created_at, read_at)
SELECT i, pgopt_zipf(i, {{seed}} * 1000 + 80, {{users}})::int,
       k,
       jsonb_build_object('pitch_id', pgopt_zipf(i, {{seed}} * 1000 + 82, {{pitches}}), 'actor_id', 1 + (i::bigint * 7919) % {{users}}),
       c,
       CASE WHEN pgopt_rnd(i, {{seed}} * 1000 + 83) < 0.6 THEN c + interval '1 hour' END
FROM (SELECT i,
             (ARRAY['like', 'comment', 'follow', 'message', 'mention'])[1 + floor(pgopt_rnd(i, {{seed}} * 1000 + 81) * 5)::int] AS k,
             {{anchor}}::timestamptz - (-ln(i::float8 / ({{notifications}} + 1)) * 14) * interval '1 day' AS c
      FROM generate_series(1, {{notifications}}) AS i) AS g;

-- step: pitch_views after: pitches
INSERT INTO pitch_views (id, pitch_id, viewer_id, viewed_at, duration_ms, referrer)
SELECT i,
       pgopt_zipf(i, {{seed}} * 1000 + 90, {{pitches}}),
       CASE WHEN pgopt_rnd(i, {{seed}} * 1000 + 91) < 0.8 THEN pgopt_zipf(i, {{seed}} * 1000 + 92, {{users}})::int END,
       {{anchor}}::timestamptz - (-ln(i::float8 / ({{views}} + 1)) * 10) * interval '1 day',
       200 + floor(pgopt_rnd(i, {{seed}} * 1000 + 93) * 120000)::int,
       (ARRAY['feed', 'search', 'profile', 'external', 'email'])[1 + (i % 5)::int]
FROM generate_series(1, {{views}}) AS i;

-- step: analytics_events after: pitches
INSERT INTO analytics_events (id, event_type, user_id, pitch_id, properties, created_at)
SELECT i, t,
       CASE WHEN pgopt_rnd(i, {{seed}} * 1000 + 101) < 0.9 THEN pgopt_zipf(i, {{seed}} * 1000 + 102, {{users}})::int END,
       CASE WHEN t IN ('pitch_view', 'like', 'comment', 'share') THEN pgopt_zipf(i, {{seed}} * 1000 + 103, {{pitches}}) END,
       jsonb_build_object('source', (ARRAY['web', 'ios', 'android', 'api'])[1 + (i % 4)::int],
                          'session', (i / 7)::text),
       -- events arrive in time order and cluster in the most recent days
       {{anchor}}::timestamptz - (-ln(i::float8 / ({{events}} + 1)) * 7) * interval '1 day'
FROM (SELECT i,
             CASE WHEN r < 0.50 THEN 'page_view' WHEN r < 0.75 THEN 'pitch_view' WHEN r < 0.83 THEN 'like'
                  WHEN r < 0.88 THEN 'comment' WHEN r < 0.95 THEN 'search' WHEN r < 0.99 THEN 'share' ELSE 'signup' END AS t
      FROM (SELECT i, pgopt_rnd(i, {{seed}} * 1000 + 100) AS r FROM generate_series(1, {{events}}) AS i) AS x) AS g;
