// Package policy decides who may do what in Shaobao: casbin evaluates a
// handful of rule rows per role ("this role may do this action when this
// org relation holds"), never one row per user. The relations — same unit,
// parent, subtree, chain, own department — are Go functions over the
// materialized org paths (relations.go); the rows live in the policy_rules
// table, seeded from default_policy.csv, editable by an admin, and picked up
// by every instance through Watch.
package policy

import (
	"context"
	_ "embed"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"gorm.io/gorm"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

//go:embed model.conf
var modelConf string

//go:embed default_policy.csv
var defaultPolicy string

// Action is something an actor (the subject of a decision) may be
// allowed to do.
type Action string

// Actions. Summon is the scope of summoning one department, whether at
// filing or on a filed case; Whistle is whistling more departments on a
// filed case, including re-routing a returned task (each department is
// then checked with Summon). They are apart so a grid worker may name the
// departments of the problem it files without deciding for the case after.
const (
	FileCase        Action = "case:file"
	ReadCase        Action = "case:read"
	Summon          Action = "case:summon"
	Whistle         Action = "case:whistle"
	Escalate        Action = "case:escalate"
	Verify          Action = "case:verify"
	Evaluate        Action = "case:evaluate"
	AnswerExtension Action = "case:answer_extension"
	// Accept, Reject and Merge answer a pending case (受理, 不予受理, 并案):
	// the holding unit's command centre or secretary decides.
	Accept           Action = "case:accept"
	Reject           Action = "case:reject"
	Merge            Action = "case:merge"
	ReportTask       Action = "task:report"
	Feedback         Action = "task:feedback"
	ReturnTask       Action = "task:return"
	RequestExtension Action = "task:extension"
	ReadInbox        Action = "task:read"
	Supervise        Action = "supervision:read"
	Admin            Action = "admin:manage"
	// ReadPersonal shows a case's personal data whole (a hotline caller's
	// phone): the holding unit's command centre or secretary only; anyone
	// else who may read the case sees it masked.
	ReadPersonal Action = "case:read_personal"
	// Both directions (issue 13). Dispatch hands a held case down (派单)
	// and Recall takes it back: a command centre's (the street's
	// 综合执法指挥调度权). The API authorizes Recall, AnswerEscalation and
	// AnswerUnresolvable against the unit that must answer (the
	// dispatcher, the unit the escalation waits on, the approver) as the
	// holder; the others against the holder.
	Dispatch           Action = "case:dispatch"
	Recall             Action = "case:recall"
	AnswerEscalation   Action = "case:answer_escalation"
	AnswerReturn       Action = "case:answer_return"
	Drop               Action = "case:drop"
	SetLead            Action = "case:set_lead"
	ApplyUnresolvable  Action = "case:unresolvable"
	AnswerUnresolvable Action = "case:answer_unresolvable"
	// Release is the lead department (主办) releasing an assisting one.
	Release Action = "task:release"
	// Follow-up (issue 14). Urge presses a task's department (催办): the
	// holding unit's command centre or secretary, or a supervisor of the
	// case's jurisdiction. SuperviseCase issues a supervision order (督办)
	// on a case of the jurisdiction. AnswerOrder is a department's answer
	// to an order; the API authorizes it on the clerk's own department and
	// the workflow checks the order names it.
	Urge          Action = "task:urge"
	SuperviseCase Action = "case:supervise"
	AnswerOrder   Action = "supervision:answer_order"
	// ReadMap reads the map (一张图, issue 15): the grid polygons and the
	// located cases of the caller's jurisdiction; what the map shows is
	// then narrowed like the case list (ReadCase's scope).
	ReadMap Action = "map:read"
	// Appeal contests a case's attribution in a published month (申诉,
	// issue 17): the department's clerk, or its bureau's; the API
	// authorizes it on the appealing department. AnswerAppeal answers one:
	// a supervisor of the case's jurisdiction (or an admin), authorized on
	// the case's filing unit.
	Appeal       Action = "supervision:appeal"
	AnswerAppeal Action = "supervision:answer_appeal"
	// PeriodicEvaluate rates a department for a period (定期评议): a
	// street's or district's command centre or street secretary, for its
	// own unit (the API authorizes it with the rater unit as holder).
	PeriodicEvaluate Action = "supervision:periodic"
	// Callback records a call-back to the resident (回访, issue 17): the
	// filing side's command centre or secretary, as for Evaluate.
	Callback Action = "case:callback"
)

// Actions lists every action.
var Actions = []Action{
	FileCase, ReadCase, Summon, Whistle, Escalate, Verify, Evaluate, AnswerExtension, Accept, Reject, Merge, ReadPersonal,
	Dispatch, Recall, AnswerEscalation, AnswerReturn, Drop, SetLead, ApplyUnresolvable, AnswerUnresolvable,
	ReportTask, Feedback, ReturnTask, RequestExtension, Release, ReadInbox, Supervise, Admin,
	Urge, SuperviseCase, AnswerOrder, ReadMap, Appeal, AnswerAppeal, PeriodicEvaluate, Callback,
}

// Valid reports whether a is a known action.
func (a Action) Valid() bool { return slices.Contains(Actions, a) }

// Object is what an action is on. Fill what the action needs; an empty
// field never satisfies a relation that looks at it.
type Object struct {
	// OrgPath is the case's origin: the org unit it was filed in (for
	// FileCase the unit it will be filed in; "" means the holding unit).
	// For Supervise, the unit the view is narrowed to ("" = the subject's
	// whole jurisdiction).
	OrgPath string
	// HolderOrgPath is the org unit of the level now holding the case (for
	// FileCase: the level that will hold it — a grid worker's community,
	// anyone else's own unit).
	HolderOrgPath string
	// DepartmentID is, for task actions and ReadInbox, the task's (inbox's)
	// department; for Summon, the department to summon.
	DepartmentID string
	// DepartmentOrgPath is, for Summon, the org path of the department to summon.
	DepartmentOrgPath string
	// TaskDepartmentIDs are, for ReadCase, the departments with a task on
	// the case (a clerk may read those cases).
	TaskDepartmentIDs []string
	// DepartmentParentID is, for ReadInbox, the parent of the inbox's
	// department: a bureau reads its stationed units' inboxes (条块结合).
	DepartmentParentID string
}

// Rule is one rule row: Role may do Action where Relation holds. Name is
// the rule a refusal quotes ("task:own_department"); several rows (one per
// role or action) may share a name. ID is the row's id, set by Rules.
type Rule struct {
	ID       uint         `json:"id,omitempty"`
	Role     whistle.Role `json:"role"`
	Action   Action       `json:"action"`
	Relation string       `json:"relation"`
	Name     string       `json:"name"`
}

func (r Rule) values() []string {
	return []string{string(r.Role), string(r.Action), r.Relation, r.Name}
}

// Policy decides requests against the rules last loaded from the
// policy_rules table. It is safe for concurrent use; a reload swaps the
// whole rule set at once, so a decision sees the old rules or the new.
type Policy struct {
	db      *gorm.DB
	log     *slog.Logger
	mu      sync.Mutex // serializes reloads and edits
	inForce atomic.Pointer[ruleSet]
}

// Option configures New.
type Option func(*Policy)

// WithLogger makes the policy log through l (the process's configured
// logger, so its lines follow --log-format and --log-level) instead of
// slog.Default.
func WithLogger(l *slog.Logger) Option {
	return func(p *Policy) {
		if l != nil {
			p.log = l
		}
	}
}

// ruleSet is one loaded set of rules; never modified once in force.
//
// casbin's Enforce evaluates the matcher against every row of its model, so
// its cost grows with the rule count (about 0.4 µs a row). The rule set
// therefore shards the rows by (role, action) — the matcher's first two
// equalities — into one small enforcer each: a decision runs casbin over
// the one or two rows that could match, and a (role, action) with no row is
// refused without evaluating anything, as casbin would refuse it.
type ruleSet struct {
	shards      map[ruleKey]*shard
	fingerprint uint64
}

// shard is the rules of one (role, action), in table order, and the
// refusal naming them. role and act are the request's first values, boxed
// once.
type shard struct {
	enf       *casbin.Enforcer
	role, act any
	rules     []Rule
	refusal   refusal
}

type ruleKey struct {
	role whistle.Role
	act  Action
}

// New loads the rules from db's policy_rules table (which the store's
// migrations create), seeding it with the embedded defaults when it holds
// no rule at all.
func New(ctx context.Context, db *gorm.DB, opts ...Option) (*Policy, error) {
	p := &Policy{db: db, log: slog.Default()}
	for _, o := range opts {
		o(p)
	}
	if err := p.seed(ctx); err != nil {
		return nil, err
	}
	if err := p.Reload(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// DefaultRules returns the rules shipped in default_policy.csv.
func DefaultRules() []Rule {
	var rules []Rule
	for line := range strings.Lines(defaultPolicy) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		if len(f) != 5 || f[0] != "p" {
			panic("policy: malformed default rule: " + line) // embedded; caught by tests
		}
		rules = append(rules, Rule{Role: whistle.Role(f[1]), Action: Action(f[2]), Relation: f[3], Name: f[4]})
	}
	return rules
}

func (p *Policy) seed(ctx context.Context) error {
	return p.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&store.PolicyRule{}).Count(&n).Error; err != nil {
			return fmt.Errorf("policy: count rules: %w", err)
		}
		if n > 0 {
			return nil
		}
		var rows []store.PolicyRule
		for _, r := range DefaultRules() {
			rows = append(rows, newRow("p", r.values()))
		}
		if err := tx.Create(&rows).Error; err != nil {
			return fmt.Errorf("policy: seed rules: %w", err)
		}
		p.log.InfoContext(ctx, "policy: seeded default rules", "rules", len(rows))
		return nil
	})
}

// Authorize returns nil if sub may do act on obj. Otherwise it returns a
// *whistle.Error with code forbidden whose messages say what the refusing
// rule demands and name it ("（规则 task:own_department）"), or name
// DefaultDeny when no rule gives the role the action at all — as for any
// unknown role or action. It reads no database and allocates little.
func (p *Policy) Authorize(sub whistle.Actor, act Action, obj Object) error {
	sh := p.inForce.Load().shards[ruleKey{sub.Role, act}]
	if sh == nil {
		return defaultRefusal(sub.Role, act).err()
	}
	ok, err := sh.enf.Enforce(sh.role, sh.act, &sub, &obj)
	if err != nil {
		p.log.Error("policy: decision failed", "err", err, "user", sub.Username, "action", act)
		return whistle.Errorf(whistle.EInternal, "权限判定失败", "policy decision failed")
	}
	if !ok {
		return sh.refusal.err()
	}
	return nil
}

// Reload loads the rules from the table and swaps them in at once.
// On error the rules in force stay as they were.
func (p *Policy) Reload(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reload(ctx)
}

func (p *Policy) reload(ctx context.Context) error {
	// The fingerprint is read before the rules: if an edit lands between the
	// two, the rule set holds the newer rules under the older fingerprint
	// and the next Watch tick reloads again (never the reverse, which
	// would leave stale rules looking current).
	fp, err := p.fingerprint(ctx)
	if err != nil {
		return err
	}
	m, err := model.NewModelFromString(modelConf)
	if err != nil {
		return fmt.Errorf("policy: model: %w", err)
	}
	if err := (&Adapter{db: p.db.WithContext(ctx), log: p.log}).LoadPolicy(m); err != nil {
		return err
	}
	rows, err := m.GetPolicy("p", "p")
	if err != nil {
		return fmt.Errorf("policy: load: %w", err)
	}
	byKey := map[ruleKey][][]string{}
	for _, v := range rows {
		k := ruleKey{whistle.Role(v[0]), Action(v[1])}
		byKey[k] = append(byKey[k], v)
	}
	shards := make(map[ruleKey]*shard, len(byKey))
	for k, vs := range byKey {
		sm, err := model.NewModelFromString(modelConf)
		if err != nil {
			return fmt.Errorf("policy: model: %w", err)
		}
		if err := sm.AddPolicies("p", "p", vs); err != nil {
			return fmt.Errorf("policy: load: %w", err)
		}
		enf, err := casbin.NewEnforcer(sm)
		if err != nil {
			return fmt.Errorf("policy: load: %w", err)
		}
		enf.AddFunction("orgRel", orgRel)
		rules := make([]Rule, len(vs))
		for i, v := range vs {
			rules[i] = Rule{Role: k.role, Action: k.act, Relation: v[2], Name: v[3]}
		}
		shards[k] = &shard{enf: enf, role: string(k.role), act: string(k.act), rules: rules, refusal: ruleRefusal(rules)}
	}
	p.inForce.Store(&ruleSet{shards: shards, fingerprint: fp})
	return nil
}

// fingerprint hashes every row of the table. The table holds tens of rows,
// so reading them all is cheap, and unlike count + max(id) it also sees an
// edit in place or a delete followed by an insert that reuses the id.
func (p *Policy) fingerprint(ctx context.Context) (uint64, error) {
	var rows []store.PolicyRule
	if err := p.db.WithContext(ctx).Order("id").Find(&rows).Error; err != nil {
		return 0, fmt.Errorf("policy: read rules: %w", err)
	}
	h := fnv.New64a()
	for _, r := range rows {
		for _, s := range []string{strconv.FormatUint(uint64(r.ID), 10), r.PType, r.V0, r.V1, r.V2, r.V3, r.V4, r.V5} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
	}
	return h.Sum64(), nil
}

// Watch polls the table every interval and reloads when its content
// changed, so an admin's edit made through any instance reaches this one
// within one interval. It blocks until ctx is done: run it in a goroutine.
// A failed poll is logged and the rules in force are kept.
func (p *Policy) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := p.refresh(ctx); err != nil && ctx.Err() == nil {
			p.log.WarnContext(ctx, "policy: watch", "err", err)
		}
	}
}

// refresh reloads if the table's fingerprint moved.
func (p *Policy) refresh(ctx context.Context) error {
	fp, err := p.fingerprint(ctx)
	if err != nil {
		return err
	}
	if fp == p.inForce.Load().fingerprint {
		return nil
	}
	if err := p.Reload(ctx); err != nil {
		return err
	}
	p.log.InfoContext(ctx, "policy: rules reloaded")
	return nil
}

// Rules returns every rule row in the table, in id order (what is stored,
// which Watch brings into force within one interval).
func (p *Policy) Rules(ctx context.Context) ([]Rule, error) {
	var rows []store.PolicyRule
	if err := p.db.WithContext(ctx).Where("p_type = ?", "p").Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("policy: read rules: %w", err)
	}
	rules := make([]Rule, 0, len(rows))
	for _, r := range rows {
		rules = append(rules, Rule{ID: r.ID, Role: whistle.Role(r.V0), Action: Action(r.V1), Relation: r.V2, Name: r.V3})
	}
	return rules, nil
}

// AddRule stores r (its ID is ignored) and reloads. It returns an invalid
// error for an unknown role, action or relation or an empty name, and a
// conflict error if the same rule is already stored.
func (p *Policy) AddRule(ctx context.Context, r Rule) error {
	if err := validateRule(r); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n, err := p.count(ctx, r)
	if err != nil {
		return err
	}
	if n > 0 {
		return whistle.Errorf(whistle.EConflict, "规则已存在", "the rule already exists")
	}
	if err := NewAdapter(p.db.WithContext(ctx)).AddPolicy("p", "p", r.values()); err != nil {
		return fmt.Errorf("policy: add rule: %w", err)
	}
	return p.reload(ctx)
}

// RemoveRule deletes the rows equal to r (its ID is ignored) and reloads.
// It returns not_found if there is none, and conflict if r is the last rule
// letting admins administer, so no edit can lock every admin out.
func (p *Policy) RemoveRule(ctx context.Context, r Rule) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, err := p.count(ctx, r)
	if err != nil {
		return err
	}
	if n == 0 {
		return whistle.ErrNotFound
	}
	if r.Role == whistle.RoleAdmin && r.Action == Admin {
		var admins int64
		err := p.db.WithContext(ctx).Model(&store.PolicyRule{}).
			Where("p_type = ? AND v0 = ? AND v1 = ? AND (v0 <> ? OR v1 <> ? OR v2 <> ? OR v3 <> ?)",
				"p", whistle.RoleAdmin, Admin, r.Role, r.Action, r.Relation, r.Name).
			Count(&admins).Error
		if err != nil {
			return fmt.Errorf("policy: count admin rules: %w", err)
		}
		if admins == 0 {
			return whistle.Errorf(whistle.EConflict, "不能删除最后一条管理员规则", "cannot remove the last rule that lets admins administer")
		}
	}
	if err := NewAdapter(p.db.WithContext(ctx)).RemovePolicy("p", "p", r.values()); err != nil {
		return fmt.Errorf("policy: remove rule: %w", err)
	}
	return p.reload(ctx)
}

func (p *Policy) count(ctx context.Context, r Rule) (int64, error) {
	var n int64
	err := p.db.WithContext(ctx).Model(&store.PolicyRule{}).
		Where("p_type = ? AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?", "p", r.Role, r.Action, r.Relation, r.Name).
		Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("policy: read rules: %w", err)
	}
	return n, nil
}

func validateRule(r Rule) error {
	switch {
	case !r.Role.Valid():
		return whistle.Errorf(whistle.EInvalid, "未知角色：%q", "unknown role %q", r.Role)
	case !r.Action.Valid():
		return whistle.Errorf(whistle.EInvalid, "未知操作：%q", "unknown action %q", r.Action)
	case !knownRelation(r.Relation):
		return whistle.Errorf(whistle.EInvalid, "未知关系：%q（可用：%s）", "unknown relation %q (known: %s)", r.Relation, strings.Join(Relations(), ", "))
	case strings.TrimSpace(r.Name) == "" || r.Name != strings.TrimSpace(r.Name) || len(r.Name) > 128:
		return whistle.Errorf(whistle.EInvalid, "规则名不能为空，且不超过128个字符", "a rule needs a name of at most 128 characters")
	}
	return nil
}
