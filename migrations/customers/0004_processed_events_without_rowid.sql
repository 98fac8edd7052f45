-- One B-tree keyed by EventId instead of a rowid table plus a unique index on it: the dedupe insert of
-- every applied event touches half the pages (catch-up measured about a sixth faster).
CREATE TABLE `processed_events_keyed` (
	`event_id` text PRIMARY KEY NOT NULL,
	`stream_id` text NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `processed_events_keyed` (`event_id`, `stream_id`) SELECT `event_id`, `stream_id` FROM `processed_events`;
--> statement-breakpoint
DROP TABLE `processed_events`;
--> statement-breakpoint
ALTER TABLE `processed_events_keyed` RENAME TO `processed_events`;
