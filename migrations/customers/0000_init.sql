CREATE TABLE `customers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` integer NOT NULL,
	`name` text NOT NULL,
	`created_date` text NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `known_accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `customers_account_id` ON `customers` (`account_id`);--> statement-breakpoint
CREATE TABLE `invoices` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`customer_id` integer NOT NULL,
	`purchase_date` text NOT NULL,
	`purchase_price_cents` integer NOT NULL,
	`created_date` text NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `invoices_customer_id` ON `invoices` (`customer_id`);--> statement-breakpoint
CREATE TABLE `known_accounts` (
	`id` integer PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`owned_by` text NOT NULL,
	`created_date` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `outbox` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`event_id` text NOT NULL,
	`event_type` text NOT NULL,
	`target` text DEFAULT 'main' NOT NULL,
	`fields` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_event_id_unique` ON `outbox` (`event_id`);--> statement-breakpoint
CREATE TABLE `checkpoints` (
	`consumer` text PRIMARY KEY NOT NULL,
	`position` text NOT NULL,
	`updated_at` text NOT NULL,
	`gap_acknowledged_through` text
);
--> statement-breakpoint
CREATE TABLE `dead_letters` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`consumer` text NOT NULL,
	`stream_id` text NOT NULL,
	`reason` text NOT NULL,
	`fields` text NOT NULL,
	`recorded_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `parked_entries` (
	`consumer` text NOT NULL,
	`stream_id` text NOT NULL,
	`awaiting` text NOT NULL,
	`reason` text NOT NULL,
	`fields` text NOT NULL,
	`parked_at_ms` integer NOT NULL,
	PRIMARY KEY(`consumer`, `stream_id`)
);
--> statement-breakpoint
CREATE TABLE `processed_events` (
	`event_id` text PRIMARY KEY NOT NULL,
	`stream_id` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`username` text NOT NULL,
	`key` text NOT NULL,
	`route` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` integer NOT NULL,
	`body` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`username`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_created_at` ON `idempotency_keys` (`created_at`);