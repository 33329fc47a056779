package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// AdminAudit is one admin change: who made it, when, from where, and the
// object before and after (as rows, secrets and hashes taken out).
type AdminAudit struct {
	ID        uint64    `gorm:"primaryKey;autoIncrement"`
	At        time.Time `gorm:"not null;index"`
	ActorID   string    `gorm:"size:40;not null;default:''"`
	Actor     string    `gorm:"size:64;not null;default:'';index"`
	Action    string    `gorm:"size:32;not null;index"`
	Kind      string    `gorm:"size:32;not null;index"`
	ObjectID  string    `gorm:"size:255;not null;default:'';index"`
	Before    string    `gorm:"type:text"` // JSON; "" when the object did not exist
	After     string    `gorm:"type:text"` // JSON; "" when the object is gone
	RequestID string    `gorm:"size:64;not null;default:''"`
	Address   string    `gorm:"size:64;not null;default:''"`
}

// TableName keeps the admin audit beside the sign-in audit (auth_audit).
func (AdminAudit) TableName() string { return "admin_audit" }

// Admin audit actions.
const (
	ActionCreate  = "create"
	ActionUpdate  = "update"
	ActionDelete  = "delete"
	ActionReset   = "reset"   // a password reset
	ActionUnlock  = "unlock"  // a lockout lifted
	ActionRevoke  = "revoke"  // a token or key revoked
	ActionReplace = "replace" // a set replaced whole (a duty roster)
)

// AuditActions lists the actions GET /admin/audit filters on.
var AuditActions = []string{ActionCreate, ActionUpdate, ActionDelete, ActionReset, ActionUnlock, ActionRevoke, ActionReplace}

// Who made a change: the admin and where the request came from.
type AuditActor struct {
	UserID, Username   string
	RequestID, Address string
}

// Change names an admin change: the action, the kind of object and its id
// ("" for an object the change creates: the change returns it).
type Change struct {
	Action, Kind, ObjectID string
}

// auditedKind says how to read an object of one kind for its before and
// after: the model, the column (or a where clause) its id selects, and
// whether one id names a set of rows.
type auditedKind struct {
	model any
	where func(tx *gorm.DB, id string) *gorm.DB
	many  bool
}

func byColumn(col string) func(tx *gorm.DB, id string) *gorm.DB {
	return func(tx *gorm.DB, id string) *gorm.DB { return tx.Where(col+" = ?", id) }
}

// auditedKinds are the kinds of object the admin routes change. A kind
// not here cannot be audited: Audited refuses it, so a new admin route
// must say how its object reads.
var auditedKinds = map[string]auditedKind{
	"org_unit":       {model: &OrgUnit{}, where: byColumn("id")},
	"department":     {model: &Department{}, where: byColumn("id")},
	"user":           {model: &User{}, where: byColumn("id")},
	"credential":     {model: &Credential{}, where: byColumn("user_id")},
	"api_token":      {model: &APIToken{}, where: byColumn("id")},
	"catalogue_item": {model: &CatalogueItem{}, where: byColumn("id")},
	// An SLA policy is "class/level" ("key/street"); "key" alone is the
	// class's default.
	"sla_policy": {model: &SLAPolicy{}, where: func(tx *gorm.DB, id string) *gorm.DB {
		class, level, _ := strings.Cut(id, "/")
		return tx.Where("class = ? AND level = ?", class, level)
	}},
	"calendar_day": {model: &CalendarDay{}, where: byColumn("date")},
	// The calendar of whole years ("2027" or "2027,2028"), for a bulk edit.
	"calendar": {model: &CalendarDay{}, many: true, where: func(tx *gorm.DB, id string) *gorm.DB {
		var conds []string
		var args []any
		for _, y := range strings.Split(id, ",") {
			conds, args = append(conds, "date LIKE ?"), append(args, y+"-%")
		}
		return tx.Where("("+strings.Join(conds, " OR ")+")", args...).Order("date")
	}},
	"intake_setting":    {model: &IntakeSetting{}, where: byColumn("source")},
	"escalation_review": {model: &EscalationReview{}, where: byColumn("level")},
	"policy_rule":       {model: &PolicyRule{}, where: byColumn("id")},
	"open311_client":    {model: &Open311Client{}, where: byColumn("id")},
	"hotline_system":    {model: &HotlineSystem{}, where: byColumn("id")},
	"channel":           {model: &ChannelConfig{}, where: byColumn("id")},
	// The assessment settings of a year ("0": the default row).
	"assessment_setting": {model: &AssessmentSetting{}, where: byColumn("year")},
	"duty_roster":        {model: &DutyShift{}, many: true, where: func(tx *gorm.DB, id string) *gorm.DB { return byColumn("department_id")(tx, id).Order("id") }},
}

// AuditKindsAdmin lists the object kinds of the admin audit.
func AuditKindsAdmin() []string {
	kinds := make([]string, 0, len(auditedKinds))
	for k := range auditedKinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// RegisterAuditKind lets a later admin table (the geo import) be audited:
// model is its row, column the one its id selects.
func RegisterAuditKind(kind string, model any, column string, many bool) {
	auditedKinds[kind] = auditedKind{model: model, where: byColumn(column), many: many}
}

// redacted are the columns never copied into the audit: password hashes,
// token and key hashes, sealed channel secrets, hotline signing secrets.
var redacted = []string{"password_hash", "hash", "key_hash", "sealed_secrets", "secret"}

// snapshotOf reads the object kind/id as JSON: "" when there is none.
func snapshotOf(tx *gorm.DB, kind, id string) (string, error) {
	k, ok := auditedKinds[kind]
	if !ok {
		return "", fmt.Errorf("audit: unknown kind %q", kind)
	}
	if id == "" {
		return "", nil
	}
	var rows []map[string]any
	if err := k.where(tx.Model(k.model), id).Find(&rows).Error; err != nil {
		return "", fmt.Errorf("audit: read %s %s: %w", kind, id, err)
	}
	for _, r := range rows {
		for _, col := range redacted {
			delete(r, col)
		}
		for col, v := range r {
			if b, ok := v.([]byte); ok { // SQLite answers some text as bytes
				r[col] = string(b)
			}
		}
	}
	var v any = rows
	switch {
	case k.many:
	case len(rows) == 0:
		return "", nil
	default:
		v = rows[0]
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("audit: encode %s %s: %w", kind, id, err)
	}
	return string(b), nil
}

// Audited makes an admin change and writes its audit row in one
// transaction, so both land or neither does. change gets a Store bound to
// the transaction (its own transactions nest as savepoints) and returns
// the object's id (needed when it creates the object; "" keeps ch's). A
// change that fails writes no row.
func (s *Store) Audited(ctx context.Context, who AuditActor, ch Change, change func(tx *Store) (string, error)) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		before, err := snapshotOf(tx, ch.Kind, ch.ObjectID)
		if err != nil {
			return err
		}
		id, err := change(&Store{DB: tx, dialect: s.dialect})
		if err != nil {
			return err
		}
		if id != "" {
			ch.ObjectID = id
		}
		after, err := snapshotOf(tx, ch.Kind, ch.ObjectID)
		if err != nil {
			return err
		}
		return writeAudit(tx, who, ch, before, after)
	})
}

// RecordAdminChange writes the audit row of a change made outside the
// store's transactions (a policy rule: the casbin adapter writes it),
// with before and after as the caller read them.
func (s *Store) RecordAdminChange(ctx context.Context, who AuditActor, ch Change, before, after string) error {
	return writeAudit(s.DB.WithContext(ctx), who, ch, before, after)
}

// AuditSnapshot reads an object as the audit shows it, for
// RecordAdminChange: "" when there is none.
func (s *Store) AuditSnapshot(ctx context.Context, kind, id string) (string, error) {
	return snapshotOf(s.DB.WithContext(ctx), kind, id)
}

func writeAudit(tx *gorm.DB, who AuditActor, ch Change, before, after string) error {
	row := AdminAudit{At: time.Now().UTC(), ActorID: who.UserID, Actor: who.Username, Action: ch.Action, Kind: ch.Kind,
		ObjectID: truncate(ch.ObjectID, 255), Before: before, After: after,
		RequestID: truncate(who.RequestID, 64), Address: truncate(who.Address, 64)}
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("write admin audit: %w", err)
	}
	return nil
}

// Audit categories: the sign-in audit (auth_audit) and admin changes.
const (
	CategorySignin = "signin"
	CategoryAdmin  = "admin"
)

// AuditLogQuery narrows FindAuditLog; empty fields do not filter. A filter
// that only one category has (outcome, username for sign-in; action and
// object for admin changes) keeps only that category.
type AuditLogQuery struct {
	Category string
	Actor    string // who acted: the admin, or the user signing in
	Kind     string // a sign-in kind (AuditKinds) or an object kind
	Action   string // an admin action (AuditActions)
	ObjectID string
	Outcome  string // a sign-in outcome
	Username string // whose sign-in
	Address  string
	Since    *time.Time
	Until    *time.Time
	Page     Page
}

// AuditLine is one line of the merged audit: a sign-in event or an admin
// change, as Category says.
type AuditLine struct {
	Category string
	Signin   *AuthEvent
	Admin    *AdminAudit
}

// At is when the line happened.
func (l AuditLine) At() time.Time {
	if l.Admin != nil {
		return l.Admin.At
	}
	return l.Signin.At
}

// FindAuditLog returns sign-in events and admin changes merged, newest
// first, and how many match.
func (s *Store) FindAuditLog(ctx context.Context, q AuditLogQuery) ([]AuditLine, int64, error) {
	p := q.Page.Normalize()
	signin := q.Category != CategoryAdmin && q.Action == "" && q.ObjectID == "" && (q.Kind == "" || slices.Contains(AuditKinds, q.Kind))
	admin := q.Category != CategorySignin && q.Outcome == "" && q.Username == "" && (q.Kind == "" || !slices.Contains(AuditKinds, q.Kind))
	// Either list's rows up to the end of page p hold every row of the
	// merged page p.
	head := Page{Page: 1, PageSize: p.Page * p.PageSize}
	var lines []AuditLine
	var total int64
	if signin {
		db := s.DB.WithContext(ctx).Model(&AuthEvent{})
		db = equal(db, "kind", q.Kind)
		db = equal(db, "outcome", q.Outcome)
		db = equal(db, "username", q.Username)
		db = equal(db, "actor", q.Actor)
		db = equal(db, "address", q.Address)
		db = between(db, "at", q.Since, q.Until)
		rows, n, err := findCounted[AuthEvent](db, "audit lines", "at DESC, id DESC", head.limit)
		if err != nil {
			return nil, 0, err
		}
		total += n
		for i := range rows {
			lines = append(lines, AuditLine{Category: CategorySignin, Signin: &rows[i]})
		}
	}
	if admin {
		db := s.DB.WithContext(ctx).Model(&AdminAudit{})
		db = equal(db, "kind", q.Kind)
		db = equal(db, "action", q.Action)
		db = equal(db, "object_id", q.ObjectID)
		db = equal(db, "actor", q.Actor)
		db = equal(db, "address", q.Address)
		db = between(db, "at", q.Since, q.Until)
		rows, n, err := findCounted[AdminAudit](db, "admin audit", "at DESC, id DESC", head.limit)
		if err != nil {
			return nil, 0, err
		}
		total += n
		for i := range rows {
			lines = append(lines, AuditLine{Category: CategoryAdmin, Admin: &rows[i]})
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].At().After(lines[j].At()) })
	from := min(p.offset(), len(lines))
	to := min(from+p.PageSize, len(lines))
	return lines[from:to], total, nil
}

// limit keeps the first rows of a query: pages 1..p of the list.
func (p Page) limit(db *gorm.DB) *gorm.DB { return db.Limit(p.PageSize) }
