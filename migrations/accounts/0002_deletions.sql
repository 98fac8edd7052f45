ALTER TABLE `accounts` ADD `deleted_date` text;--> statement-breakpoint
ALTER TABLE `customers` ADD `deleted_date` text;--> statement-breakpoint
ALTER TABLE `invoices` ADD `deleted_date` text;