package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shaobao/shaobao/whistle"
)

// HotlineSystem is a 12345 hotline system allowed to post tickets to the
// signed webhook. Its secret signs requests with HMAC-SHA256, so the
// secret itself (not a hash) must be kept; it is shown once, when
// created, and never listed. Tickets are filed as UserID, acting at the
// ticket's community (or OrgUnitID, the system's default unit), which
// must lie inside OrgUnitID.
type HotlineSystem struct {
	ID        string `gorm:"primaryKey;size:40"`
	Name      string `gorm:"size:128;not null"`
	Secret    string `gorm:"size:128;not null"`
	UserID    string `gorm:"size:40;not null"`
	OrgUnitID string `gorm:"size:32;not null"`
	CreatedAt time.Time
}

// TableName keeps the table name the migration created.
func (HotlineSystem) TableName() string { return "hotline_systems" }

// HotlineTicket is a 12345 ticket and the case it became. The caller's
// name and phone live only here (personal data: never in the workflow's
// input or history, never in search attributes); BodyHash tells a ticket
// delivered again from a different one under the same number.
type HotlineTicket struct {
	TicketNo         string `gorm:"primaryKey;size:64"`
	SystemID         string `gorm:"size:40;index"`
	CaseID           string `gorm:"size:40;not null;index"`
	CaseNumber       string `gorm:"size:32"`
	CallAt           time.Time
	CallerName       string `gorm:"size:64"`
	CallerPhone      string `gorm:"size:32"`
	RequestType      string `gorm:"size:8"`
	CallbackRequired bool
	BodyHash         string `gorm:"size:64"`
	// PushedSeq is the timeline seq of the close whose result was pushed
	// back through the webhook (0: none yet), so a retried projection
	// does not push it twice.
	PushedSeq int64 `gorm:"not null;default:0"`
	// PushAttempts counts failed pushes of the result since the last
	// success; NextPushAt is when the sweeper may try again (backoff);
	// LastPushError says why the last one failed.
	PushAttempts  int `gorm:"not null;default:0"`
	NextPushAt    *time.Time
	LastPushError string `gorm:"size:255;not null;default:''"`
	CreatedAt     time.Time
}

// TableName keeps the table name the migration created.
func (HotlineTicket) TableName() string { return "hotline_tickets" }

// HotlineRequestTypes are the request types of a 12345 ticket.
var HotlineRequestTypes = []string{"投诉", "求助", "咨询", "建议", "举报"}

// migrateHotline creates the hotline tables and adds case:read_personal
// to a policy table already seeded. The structs are this migration's own
// snapshot.
func migrateHotline(tx *gorm.DB) error {
	type hotlineSystem struct {
		ID        string `gorm:"primaryKey;size:40"`
		Name      string `gorm:"size:128;not null"`
		Secret    string `gorm:"size:128;not null"`
		UserID    string `gorm:"size:40;not null"`
		OrgUnitID string `gorm:"size:32;not null"`
		CreatedAt time.Time
	}
	type hotlineTicket struct {
		TicketNo         string `gorm:"primaryKey;size:64"`
		SystemID         string `gorm:"size:40;index:idx_hotline_tickets_system_id"`
		CaseID           string `gorm:"size:40;not null;index:idx_hotline_tickets_case_id"`
		CaseNumber       string `gorm:"size:32"`
		CallAt           time.Time
		CallerName       string `gorm:"size:64"`
		CallerPhone      string `gorm:"size:32"`
		RequestType      string `gorm:"size:8"`
		CallbackRequired bool
		BodyHash         string `gorm:"size:64"`
		PushedSeq        int64  `gorm:"not null;default:0"`
		CreatedAt        time.Time
	}
	if err := tx.Table("hotline_systems").AutoMigrate(&hotlineSystem{}); err != nil {
		return fmt.Errorf("create hotline_systems: %w", err)
	}
	if err := tx.Table("hotline_tickets").AutoMigrate(&hotlineTicket{}); err != nil {
		return fmt.Errorf("create hotline_tickets: %w", err)
	}
	return addRules(tx, hotlineRules)
}

// hotlineRules: the holding unit's command centre and secretaries see a
// hotline caller's phone whole.
var hotlineRules = [][4]string{
	{"commander", "case:read_personal", "holder", "case:holder_level"},
	{"street_secretary", "case:read_personal", "holder", "case:holder_level"},
	{"community_secretary", "case:read_personal", "holder", "case:holder_level"},
}

// addRules inserts policy rows missing from a seeded policy table (an
// empty one seeds from the defaults, which have them).
func addRules(tx *gorm.DB, rules [][4]string) error {
	var n int64
	if err := tx.Raw("SELECT COUNT(*) FROM policy_rules").Scan(&n).Error; err != nil {
		return fmt.Errorf("count policy rules: %w", err)
	}
	if n == 0 {
		return nil
	}
	for _, r := range rules {
		var have int64
		if err := tx.Raw("SELECT COUNT(*) FROM policy_rules WHERE p_type = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?",
			r[0], r[1], r[2], r[3]).Scan(&have).Error; err != nil {
			return fmt.Errorf("rule %v: %w", r, err)
		}
		if have > 0 {
			continue
		}
		if err := tx.Exec("INSERT INTO policy_rules (p_type, v0, v1, v2, v3, v4, v5) VALUES ('p', ?, ?, ?, ?, '', '')",
			r[0], r[1], r[2], r[3]).Error; err != nil {
			return fmt.Errorf("add rule %v: %w", r, err)
		}
	}
	return nil
}

func rollbackHotline(tx *gorm.DB) error {
	for _, r := range hotlineRules {
		if err := tx.Exec("DELETE FROM policy_rules WHERE p_type = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?",
			r[0], r[1], r[2], r[3]).Error; err != nil {
			return fmt.Errorf("drop rule %v: %w", r, err)
		}
	}
	if err := tx.Migrator().DropTable("hotline_tickets", "hotline_systems"); err != nil {
		return fmt.Errorf("drop hotline tables: %w", err)
	}
	return nil
}

// CreateHotlineSystem registers a hotline system filing as userID with
// orgUnitID as its default unit. The secret is returned once.
func (s *Store) CreateHotlineSystem(ctx context.Context, name, userID, orgUnitID string) (HotlineSystem, string, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return HotlineSystem{}, "", invalidUser(err, userID)
	}
	if !u.Active {
		return HotlineSystem{}, "", whistle.Errorf(whistle.EInvalid, "用户已停用：%s", "the user is disabled: %s", userID)
	}
	unit, err := s.OrgUnit(ctx, orgUnitID)
	if err != nil {
		if errors.Is(err, whistle.ErrNotFound) {
			return HotlineSystem{}, "", whistle.Errorf(whistle.EInvalid, "没有这个组织 org_unit_id：%s", "no such org_unit_id: %s", orgUnitID)
		}
		return HotlineSystem{}, "", err
	}
	if !whistle.OrgPath(unit.Path).Within(whistle.OrgPath(u.OrgPath)) {
		return HotlineSystem{}, "", whistle.Errorf(whistle.EInvalid, "默认组织须在用户 %s 的辖区内", "the default unit must lie inside user %s's jurisdiction", userID)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return HotlineSystem{}, "", fmt.Errorf("issue hotline secret: %w", err)
	}
	secret := "hl_" + base64.RawURLEncoding.EncodeToString(raw)
	row := HotlineSystem{ID: uuid.NewString(), Name: name, Secret: secret, UserID: u.ID, OrgUnitID: unit.ID, CreatedAt: time.Now().UTC()}
	if err := s.DB.WithContext(ctx).Create(&row).Error; err != nil {
		return HotlineSystem{}, "", fmt.Errorf("create hotline system %q: %w", name, err)
	}
	return row, secret, nil
}

// HotlineSystems lists every hotline system, oldest first.
func (s *Store) HotlineSystems(ctx context.Context) ([]HotlineSystem, error) {
	var rows []HotlineSystem
	if err := s.DB.WithContext(ctx).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list hotline systems: %w", err)
	}
	return rows, nil
}

// HotlineSystem loads one hotline system.
func (s *Store) HotlineSystem(ctx context.Context, id string) (HotlineSystem, error) {
	var row HotlineSystem
	return row, take(s.DB.WithContext(ctx).Where("id = ?", id), &row, "hotline system", id)
}

// HotlineTicket loads a ticket by its number.
func (s *Store) HotlineTicket(ctx context.Context, ticketNo string) (HotlineTicket, error) {
	var row HotlineTicket
	return row, take(s.DB.WithContext(ctx).Where("ticket_no = ?", ticketNo), &row, "hotline ticket", ticketNo)
}

// HotlineTicketsIn returns the tickets among numbers that exist, by number.
func (s *Store) HotlineTicketsIn(ctx context.Context, numbers []string) (map[string]HotlineTicket, error) {
	out := map[string]HotlineTicket{}
	for start := 0; start < len(numbers); start += 500 {
		var rows []HotlineTicket
		if err := s.DB.WithContext(ctx).Where("ticket_no IN ?", numbers[start:min(start+500, len(numbers))]).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("load hotline tickets: %w", err)
		}
		for _, r := range rows {
			out[r.TicketNo] = r
		}
	}
	return out, nil
}

// HotlineTicketOfCase returns the ticket a case was filed from, if any.
func (s *Store) HotlineTicketOfCase(ctx context.Context, caseID string) (HotlineTicket, bool, error) {
	var rows []HotlineTicket
	if err := s.DB.WithContext(ctx).Where("case_id = ?", caseID).Order("created_at").Limit(1).Find(&rows).Error; err != nil {
		return HotlineTicket{}, false, fmt.Errorf("hotline ticket of case %s: %w", caseID, err)
	}
	if len(rows) == 0 {
		return HotlineTicket{}, false, nil
	}
	return rows[0], true, nil
}

// HotlineTicketsFollowing returns the tickets whose result is caseID's:
// those filed as it and those of the cases merged into it (a merged
// ticket follows the surviving case).
func (s *Store) HotlineTicketsFollowing(ctx context.Context, caseID string) ([]HotlineTicket, error) {
	var rows []HotlineTicket
	err := s.DB.WithContext(ctx).
		Where("case_id = ? OR case_id IN (SELECT id FROM cases WHERE merged_into = ?)", caseID, caseID).
		Order("ticket_no").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("hotline tickets of case %s: %w", caseID, err)
	}
	return rows, nil
}

// HotlineDelivery is one accepted delivery of the signed webhook, kept
// for HotlineDeliveryTTL so the same delivery sent again (a replay: the
// same timestamp, body and signature) is refused. SignatureHash is the
// hex SHA-256 of the X-Hotline-Signature header.
type HotlineDelivery struct {
	SignatureHash string    `gorm:"primaryKey;size:64"`
	SystemID      string    `gorm:"size:40;not null"`
	ReceivedAt    time.Time `gorm:"not null;index"`
}

// TableName keeps the table name the migration created.
func (HotlineDelivery) TableName() string { return "hotline_deliveries" }

// HotlineDeliveryTTL is how long a delivery is remembered: a signature is
// accepted while its timestamp is within 5 minutes of the clock either
// way, so for at most 10 minutes after it first arrives.
const HotlineDeliveryTTL = 10 * time.Minute

// ClaimHotlineTicket reserves t.TicketNo for the case t.CaseID in one
// transaction, before that case's workflow starts, so two paths (webhook
// and import) or two deliveries racing file one case. The first claim
// numbers the case and returns claimed true; a later one returns the
// ticket as first claimed (its case id and number), claimed false.
//
// With a delivery d (the signed webhook), the delivery is recorded in the
// same transaction: a delivery already recorded is refused with
// EReplayed, and a webhook ticket already known with another body
// (BodyHash) is a conflict; either refusal records nothing. A ticket
// first imported is adopted by the system that now posts it, so the
// system reads its result. Without d (an import), a known ticket is
// never a conflict: an export repeats what the webhook sent.
func (s *Store) ClaimHotlineTicket(ctx context.Context, t HotlineTicket, d *HotlineDelivery) (HotlineTicket, bool, error) {
	now := time.Now().UTC()
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	if d != nil {
		// Outside the claim's transaction: concurrent claims need not
		// wait on each other's purge.
		if err := s.DB.WithContext(ctx).Where("received_at < ?", now.Add(-HotlineDeliveryTTL)).Delete(&HotlineDelivery{}).Error; err != nil {
			return HotlineTicket{}, false, fmt.Errorf("purge hotline deliveries: %w", err)
		}
	}
	claimed := false
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if d != nil {
			d.ReceivedAt = now
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(d)
			if res.Error != nil {
				return fmt.Errorf("record hotline delivery: %w", res.Error)
			}
			if res.RowsAffected == 0 {
				return whistle.Errorf(whistle.EReplayed, "重复投递：该请求（相同时间戳与签名）已受理过，工单 %s", "replayed: this delivery (same timestamp and signature) was already accepted, ticket %s", t.TicketNo)
			}
		}
		t.CaseNumber = ""
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&t)
		if res.Error != nil {
			return fmt.Errorf("claim hotline ticket %s: %w", t.TicketNo, res.Error)
		}
		if res.RowsAffected == 1 {
			n, err := allocateCaseNumber(tx, now)
			if err != nil {
				return err
			}
			if err := tx.Model(&HotlineTicket{}).Where("ticket_no = ?", t.TicketNo).Update("case_number", n).Error; err != nil {
				return fmt.Errorf("number hotline ticket %s: %w", t.TicketNo, err)
			}
			t.CaseNumber, claimed = n, true
			return nil
		}
		var have HotlineTicket
		if err := take(tx.Where("ticket_no = ?", t.TicketNo), &have, "hotline ticket", t.TicketNo); err != nil {
			return err
		}
		if d != nil && have.SystemID != "" && have.BodyHash != t.BodyHash {
			return whistle.Errorf(whistle.EConflict, "工单编号已存在且内容不同：%s", "ticket_no already exists with a different body: %s", t.TicketNo)
		}
		if d != nil && have.SystemID == "" && t.SystemID != "" {
			// Its body becomes the one later deliveries must match.
			err := tx.Model(&HotlineTicket{}).Where("ticket_no = ? AND system_id = ''", t.TicketNo).
				Updates(map[string]any{"system_id": t.SystemID, "body_hash": t.BodyHash}).Error
			if err != nil {
				return fmt.Errorf("adopt hotline ticket %s: %w", t.TicketNo, err)
			}
			have.SystemID, have.BodyHash = t.SystemID, t.BodyHash
		}
		t = have
		return nil
	})
	if err != nil {
		return HotlineTicket{}, false, err
	}
	return t, claimed, nil
}

// ForgetHotlineDelivery forgets a recorded delivery whose filing then
// failed (Temporal unavailable): it was not accepted, so the sender may
// send it again as it was.
func (s *Store) ForgetHotlineDelivery(ctx context.Context, signatureHash string) error {
	if err := s.DB.WithContext(ctx).Where("signature_hash = ?", signatureHash).Delete(&HotlineDelivery{}).Error; err != nil {
		return fmt.Errorf("forget hotline delivery: %w", err)
	}
	return nil
}

// RecordHotlineTicket stores a ticket whose case exists already (filing
// claims the ticket first, with ClaimHotlineTicket). The same ticket again
// (same body hash) is no error; another body under the same number is a
// conflict.
func (s *Store) RecordHotlineTicket(ctx context.Context, t HotlineTicket) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now().UTC()
	}
	err := s.DB.WithContext(ctx).Create(&t).Error
	if err == nil {
		return nil
	}
	have, lerr := s.HotlineTicket(ctx, t.TicketNo)
	if lerr != nil {
		return fmt.Errorf("record hotline ticket %s: %w", t.TicketNo, err)
	}
	if have.BodyHash != t.BodyHash || have.CaseID != t.CaseID {
		return whistle.Errorf(whistle.EConflict, "工单编号已存在且内容不同：%s", "ticket_no already exists with a different body: %s", t.TicketNo)
	}
	return nil
}

// MarkHotlinePushed records that the result at seq was pushed for the
// ticket. It reports false when a push at seq or later was already
// recorded, so the caller does not push twice.
func (s *Store) MarkHotlinePushed(ctx context.Context, ticketNo string, seq int64) (bool, error) {
	res := s.DB.WithContext(ctx).Model(&HotlineTicket{}).Where("ticket_no = ? AND pushed_seq < ?", ticketNo, seq).
		Updates(map[string]any{"pushed_seq": seq, "push_attempts": 0, "next_push_at": nil, "last_push_error": ""})
	if res.Error != nil {
		return false, fmt.Errorf("mark hotline ticket %s pushed: %w", ticketNo, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// HotlineResult is a ticket's case result as the hotline reads it (GET
// /api/v1/intake/hotline/{ticket_no}) and as it is pushed on close.
type HotlineResult struct {
	TicketNo string     `json:"ticket_no"`
	CaseID   string     `json:"case_id"`
	Number   string     `json:"number"`
	Status   string     `json:"status"`
	Outcome  string     `json:"outcome"`
	Reply    string     `json:"reply"`
	FiledAt  time.Time  `json:"filed_at"`
	ClosedAt *time.Time `json:"closed_at"`
	// MergedInto is the case the ticket's own case was merged into, whose
	// result this is.
	MergedInto string `json:"merged_into,omitempty"`
}

// HotlineResult returns the result of the ticket's case, following merges
// to the surviving case: its status, outcome and reply (the reject
// reason, or the last feedback's result).
func (s *Store) HotlineResult(ctx context.Context, t HotlineTicket) (HotlineResult, error) {
	r := HotlineResult{TicketNo: t.TicketNo, CaseID: t.CaseID, Number: t.CaseNumber}
	kase, err := s.Case(ctx, t.CaseID)
	if err != nil {
		return r, err
	}
	// A merge chain is short; the bound only guards against a cycle.
	for i := 0; i < 8 && kase.Outcome == whistle.OutcomeMerged && kase.MergedInto != ""; i++ {
		next, err := s.Case(ctx, kase.MergedInto)
		if err != nil {
			return r, fmt.Errorf("case %s merged into: %w", kase.ID, err)
		}
		r.MergedInto, r.Number, kase = next.ID, next.Number, next
	}
	if r.Number == "" {
		r.Number = kase.Number
	}
	r.Status, r.Outcome, r.FiledAt, r.ClosedAt = string(kase.Status), string(kase.Outcome), kase.CreatedAt.UTC(), kase.ClosedAt
	if kase.Outcome == whistle.OutcomeRejected {
		r.Reply = kase.RejectReason
	}
	for _, e := range kase.Timeline {
		if e.Type == whistle.EventFeedback && e.Detail != "" {
			r.Reply = e.Detail
		}
	}
	return r, nil
}
