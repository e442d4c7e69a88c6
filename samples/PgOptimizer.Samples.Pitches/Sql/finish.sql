-- Identity sequences continue after the seeded ids, so the workload's inserts do not collide.
SELECT setval(pg_get_serial_sequence('tenants', 'id'), greatest(1, (SELECT max(id) FROM tenants)));
SELECT setval(pg_get_serial_sequence('users', 'id'), greatest(1, (SELECT max(id) FROM users)));
SELECT setval(pg_get_serial_sequence('pitches', 'id'), greatest(1, (SELECT max(id) FROM pitches)));
SELECT setval(pg_get_serial_sequence('comments', 'id'), greatest(1, (SELECT max(id) FROM comments)));
SELECT setval(pg_get_serial_sequence('messages', 'id'), greatest(1, (SELECT max(id) FROM messages)));
SELECT setval(pg_get_serial_sequence('notifications', 'id'), greatest(1, (SELECT max(id) FROM notifications)));
SELECT setval(pg_get_serial_sequence('pitch_views', 'id'), greatest(1, (SELECT max(id) FROM pitch_views)));
SELECT setval(pg_get_serial_sequence('analytics_events', 'id'), greatest(1, (SELECT max(id) FROM analytics_events)));
DROP FUNCTION IF EXISTS pgopt_word(bigint, int);
DROP FUNCTION IF EXISTS pgopt_zipf(bigint, bigint, bigint, float8);
DROP FUNCTION IF EXISTS pgopt_rnd(bigint, bigint);
