-- Foreign keys, added after the bulk load (one validating scan each is far cheaper than a check per row).
-- No index backs them on the referencing side: the index catalog decides which ones deserve one.
ALTER TABLE users ADD CONSTRAINT users_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id);
ALTER TABLE pitches ADD CONSTRAINT pitches_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id);
ALTER TABLE pitches ADD CONSTRAINT pitches_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE follows ADD CONSTRAINT follows_follower_id_fkey FOREIGN KEY (follower_id) REFERENCES users (id);
ALTER TABLE follows ADD CONSTRAINT follows_followee_id_fkey FOREIGN KEY (followee_id) REFERENCES users (id);
ALTER TABLE comments ADD CONSTRAINT comments_pitch_id_fkey FOREIGN KEY (pitch_id) REFERENCES pitches (id);
ALTER TABLE comments ADD CONSTRAINT comments_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE likes ADD CONSTRAINT likes_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE likes ADD CONSTRAINT likes_pitch_id_fkey FOREIGN KEY (pitch_id) REFERENCES pitches (id);
ALTER TABLE messages ADD CONSTRAINT messages_sender_id_fkey FOREIGN KEY (sender_id) REFERENCES users (id);
ALTER TABLE messages ADD CONSTRAINT messages_recipient_id_fkey FOREIGN KEY (recipient_id) REFERENCES users (id);
ALTER TABLE messages ADD CONSTRAINT messages_pitch_id_fkey FOREIGN KEY (pitch_id) REFERENCES pitches (id);
ALTER TABLE notifications ADD CONSTRAINT notifications_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE sessions ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE pitch_views ADD CONSTRAINT pitch_views_pitch_id_fkey FOREIGN KEY (pitch_id) REFERENCES pitches (id);
ALTER TABLE pitch_views ADD CONSTRAINT pitch_views_viewer_id_fkey FOREIGN KEY (viewer_id) REFERENCES users (id);
ALTER TABLE analytics_events ADD CONSTRAINT analytics_events_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE analytics_events ADD CONSTRAINT analytics_events_pitch_id_fkey FOREIGN KEY (pitch_id) REFERENCES pitches (id);
