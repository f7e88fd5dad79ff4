-- Notifier: the contact a receiver's contact group expanded to, per notification row
-- (empty for receivers that are plain lists of channels). Part of the delivery group, so
-- each contact gets its own grouped message and its own idempotency key.
ALTER TABLE notifications ADD COLUMN contact_id VARCHAR(64) NOT NULL DEFAULT '';
