package store

import (
	"context"
	"fmt"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migrations are versioned and append-only: a released migration is never
// edited, later ones add to it, so an upgrade never loses data. gormigrate
// records each applied id in the migrations table on both dialects.
// A later migration that changes a table must declare its own snapshot of
// the model it migrates, not the current one.
var migrations = []*gormigrate.Migration{
	{
		ID: "202611220001_initial",
		Migrate: func(tx *gorm.DB) error {
			return tx.AutoMigrate(
				&OrgUnit{}, &Department{}, &User{}, &APIToken{},
				&CatalogueItem{}, &SLAPolicy{}, &CalendarDay{}, &PolicyRule{},
				&CaseRow{}, &TaskRow{}, &TimelineRow{}, &EscalationRow{}, &BreachRow{}, &EvaluationRow{},
			)
		},
		Rollback: func(tx *gorm.DB) error {
			return tx.Migrator().DropTable(
				&EvaluationRow{}, &BreachRow{}, &EscalationRow{}, &TimelineRow{}, &TaskRow{}, &CaseRow{},
				&PolicyRule{}, &CalendarDay{}, &SLAPolicy{}, &CatalogueItem{}, &APIToken{}, &User{}, &Department{}, &OrgUnit{},
			)
		},
	},
	{
		// Supervision: the roll-up of the rates and assessments, its queue
		// (filled by a trigger on cases), published months, assessment
		// settings, and indexes for the breach and escalation lists.
		ID:       "202612010001_supervision",
		Migrate:  migrateSupervision,
		Rollback: rollbackSupervision,
	},
	{
		// Grid workers report, secretaries decide: drop the grid worker's
		// escalate and answer-extension rows, split case:whistle from
		// case:summon (migrate_grid_worker.go).
		ID:       "202612020001_grid_worker_rules",
		Migrate:  migrateGridWorkerRules,
		Rollback: rollbackGridWorkerRules,
	},
	{
		// Idempotency-Key records: bound to user, route, target and body,
		// with the first answer to replay (store/idempotency.go).
		ID:       "202612020002_idempotency_keys",
		Migrate:  migrateIdempotencyKeys,
		Rollback: rollbackIdempotencyKeys,
	},
	{
		// The acceptance queue: case outcome, merged_into, reject_reason
		// and the acceptance clock; per-source acceptance settings; the
		// case:accept/reject/merge rules (migrate_intake.go).
		ID:       "202612020003_intake",
		Migrate:  migrateIntake,
		Rollback: rollbackIntake,
	},
	{
		// Open311 client applications and their api_keys (hashed), and
		// what Open311 keeps of the requests they file: the client and
		// the media_url (store/open311_clients.go).
		ID:       "202612020004_open311_clients",
		Migrate:  migrateOpen311Clients,
		Rollback: rollbackOpen311Clients,
	},
	{
		// Case numbers people can read out (YYYYMMDD-NNNNN): the day
		// counters, cases.number with its unique index, and the
		// (category, lat, lon) index of the nearby-cases query
		// (case_numbers.go, nearby.go).
		ID:       "202612020005_case_numbers",
		Migrate:  migrateCaseNumbers,
		Rollback: rollbackCaseNumbers,
	},
	{
		// 12345 hotline tickets: the hotline systems that may post them
		// (signed webhook) and the tickets with their caller (personal
		// data kept out of the workflow); case:read_personal for the
		// holder's command centre (store/hotline.go).
		ID:       "202612020006_hotline",
		Migrate:  migrateHotline,
		Rollback: rollbackHotline,
	},
	{
		// A merged case's filer follows the survivor: index
		// cases.merged_into for that read check (store/merged.go).
		ID:       "202612020007_merged_into_index",
		Migrate:  migrateMergedIntoIndex,
		Rollback: rollbackMergedIntoIndex,
	},
	{
		// Hotline webhook deliveries remembered for the replay window (an
		// exact replay is refused) and the push retry columns of
		// hotline_tickets, for the sweeper (store/hotline_push.go).
		ID:       "202612021201_hotline_push",
		Migrate:  migrateHotlinePush,
		Rollback: rollbackHotlinePush,
	},
	{
		// The four levels both ways and the exceptions of a joint case:
		// extension limits per class; the read model's dispatches,
		// unresolvable applications, lead, reviewed returns, dropped tasks
		// and answered escalations (store/migrate_twoway.go).
		ID:       "202612021301_twoway",
		Migrate:  migrateTwoway,
		Rollback: rollbackTwoway,
	},
	{
		// Per-level escalation review (昆明: reviewed by the level before
		// it goes up), off by default (store/escalation_review.go).
		ID:       "202612021302_escalation_review",
		Migrate:  migrateEscalationReview,
		Rollback: rollbackEscalationReview,
	},
	{
		// Issue 13's policy rows on a policy table already seeded:
		// dispatch, recall, whistling below, answers, drop, lead, release
		// (store/migrate_twoway_rules.go).
		ID:       "202612021303_twoway_rules",
		Migrate:  migrateTwowayRules,
		Rollback: rollbackTwowayRules,
	},
	{
		// Warnings, urging and supervision orders: the warning thresholds
		// per class (store/migrate_followup.go).
		ID:       "202612021401_followup",
		Migrate:  migrateFollowup,
		Rollback: rollbackFollowup,
	},
	{
		// The follow-up rules: task:urge, case:supervise and
		// supervision:answer_order (migrate_followup_rules.go).
		ID:       "202612021402_followup_rules",
		Migrate:  migrateFollowupRules,
		Rollback: rollbackFollowupRules,
	},
	{
		// Notifications per recipient, read per user, and their
		// deliveries per channel (store/notifications.go).
		ID:       "202612021402_notifications",
		Migrate:  migrateNotifications,
		Rollback: rollbackNotifications,
	},
	{
		// Outside channels per org unit or department, secrets sealed,
		// and the departments' duty rosters (store/channels.go).
		ID:       "202612021403_channels",
		Migrate:  migrateChannels,
		Rollback: rollbackChannels,
	},
	{
		// Sign-in with a password: credentials per user (argon2id),
		// sessions stored hashed, the sign-in audit
		// (store/passwords.go, store/sessions.go).
		ID:       "202612021501_signin",
		Migrate:  migrateSignin,
		Rollback: rollbackSignin,
	},
	{
		// Issue 17: evaluations credited to the evaluator's level and unit,
		// district evaluations apart, the district weight; the roll-up is
		// recomputed (store/migrate_supervision_rules.go).
		ID:       "202612021601_supervision_rules",
		Migrate:  migrateSupervisionRules,
		Rollback: rollbackSupervisionRules,
	},
	{
		// Issue 15: uploaded files and the cases that reference them
		// (store/files.go).
		ID:       "202612021701_files",
		Migrate:  migrateFiles,
		Rollback: rollbackFiles,
	},
	{
		// Issue 15: grid, community and street polygons (store/geo.go).
		ID:       "202612021702_geo",
		Migrate:  migrateGeo,
		Rollback: rollbackGeo,
	},
	{
		// Issue 17: the leaders' views (store/leaders.go).
		ID:       "202612021703_leaders",
		Migrate:  migrateLeaders,
		Rollback: rollbackLeaders,
	},
	{
		// Issue 16: the audit log of admin changes (store/audit.go).
		ID:       "202612021704_audit",
		Migrate:  migrateAudit,
		Rollback: rollbackAudit,
	},
	{
		// Issue 17: appeals against a case's attribution (store/appeals.go).
		ID:       "202612021705_appeals",
		Migrate:  migrateAppeals,
		Rollback: rollbackAppeals,
	},
	{
		// Issue 17: the resident call-back (回访): the cases' call-back
		// columns, the roll-up's cb_unreached and cb_expired counters and
		// the case:callback rules (migrate_callback.go).
		ID:       "202612031003_callback",
		Migrate:  migrateCallback,
		Rollback: rollbackCallback,
	},
	{
		// Issue 19: the notification outbox a projection writes with the
		// case and the worker's dispatcher delivers (store/outbox.go).
		ID:       "202612031004_notification_outbox",
		Migrate:  migrateOutbox,
		Rollback: rollbackOutbox,
	},
	{
		// Issue 17: the recurring-problem roll-up (recurring_rollup.go),
		// kept by the projection, backfilled from the cases.
		ID:       "202612031001_recurring_rollup",
		Migrate:  migrateRecurring,
		Rollback: rollbackRecurring,
	},
	{
		// Issue 19: the binary runs of a month in the supervision roll-up,
		// backfilled from the day buckets (migrate_runs.go). After the
		// call-back migration: it sums that migration's counters too.
		ID:       "202612031002_xun_buckets",
		Migrate:  migrateRuns,
		Rollback: rollbackRuns,
	},
	{
		// Issue 17: the periodic evaluations' weight in the share score as
		// a yearly setting, frozen by publication (migrate_periodic_weight.go).
		ID:       "202612041001_periodic_weight",
		Migrate:  migratePeriodicWeight,
		Rollback: rollbackPeriodicWeight,
	},
	{
		// Issue 17: the ledger's second subtree index, the holder's path
		// with the period (migrate_ledger.go).
		ID:       "202612041002_ledger",
		Migrate:  migrateLedger,
		Rollback: rollbackLedger,
	},
	{
		// Issue 17: the recurring-problem view's covering index and the
		// roll-up areas' index (migrate_recurring_index.go).
		ID:       "202612041003_recurring_index",
		Migrate:  migrateRecurringIndex,
		Rollback: rollbackRecurringIndex,
	},
	{
		// Issue 17: the ledger's departments stored on the case row, with
		// their backfill (migrate_ledger_names.go).
		ID:       "202612041004_ledger_names",
		Migrate:  migrateLedgerNames,
		Rollback: rollbackLedgerNames,
	},
}

// Migrate brings the schema up to date. It is safe to run on every start
// and from several processes in turn.
func (s *Store) Migrate(ctx context.Context) error {
	m := gormigrate.New(s.DB.WithContext(ctx), &gormigrate.Options{
		TableName:      "schema_migrations",
		IDColumnName:   "id",
		IDColumnSize:   255,
		UseTransaction: true,
	}, migrations)
	if err := m.Migrate(); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	return nil
}

// MigrationIDs lists the ids of the migrations this binary knows, in order.
func MigrationIDs() []string {
	ids := make([]string, len(migrations))
	for i, m := range migrations {
		ids[i] = m.ID
	}
	return ids
}
